import { createBullBoard } from '@bull-board/api';
import { BullAdapter } from '@bull-board/api/bullAdapter';
import { FastifyAdapter as BoardAdapter } from '@bull-board/fastify';
import { InjectQueue } from '@nestjs/bull';
import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Queue } from 'bull';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ClientAuthenticator } from '../auth/client-authenticator';
import { requestContextOf } from '../common/http/request-context';
import { sendProblem } from '../common/problem/problem.filter';
import { QueueName } from '../queue/queue.constants';

export const BOARD_PATH = '/admin/queues';

/**
 * Bull Board at /admin/queues. Its routes are a Fastify plugin, not Nest controllers, so the
 * pipeline guard does not run for them; an onRequest hook in the plugin's scope calls the same
 * ClientAuthenticator the pipeline calls. (The multipart pass-through parser of the upload route is
 * registered by the pipeline, src/bootstrap/request-pipeline.ts.)
 */
@Injectable()
export class UploadsHttpPlumbing implements OnModuleInit {
  private readonly logger = new Logger(UploadsHttpPlumbing.name);

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @InjectQueue(QueueName.Uploads) private readonly queue: Queue,
    private readonly authenticator: ClientAuthenticator,
  ) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    const board = new BoardAdapter();
    board.setBasePath(BOARD_PATH);
    createBullBoard({ queues: [new BullAdapter(this.queue)], serverAdapter: board });
    const authenticator = this.authenticator;
    const logger = this.logger;
    void fastify.register(async (scope) => {
      // The same authentication as every Nest route (ClientAuthenticator): API key or HMAC, brute-force
      // protection, allowlist; an admin key only. The principal joins the request context for the request log.
      scope.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
        try {
          requestContextOf(request).principal = await authenticator.authenticate(request, reply, 'admin');
        } catch (err) {
          return sendProblem(err, request, reply, logger as never);
        }
      });
      await scope.register(board.registerPlugin(), { prefix: BOARD_PATH });
    });
  }
}
