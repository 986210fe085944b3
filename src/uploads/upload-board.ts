import { createBullBoard } from '@bull-board/api';
import { BullAdapter } from '@bull-board/api/bullAdapter';
import { FastifyAdapter as BoardAdapter } from '@bull-board/fastify';
import { InjectQueue } from '@nestjs/bull';
import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Queue } from 'bull';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiKeyVerifier } from '../auth/api-key.verifier';
import { AuthenticationFailedProblem, ForbiddenProblem } from '../auth/auth.errors';
import { sendProblem } from '../common/problem/problem.filter';
import { QueueName } from '../queue/queue.constants';

export const BOARD_PATH = '/admin/queues';

/**
 * HTTP plumbing of the uploads feature that lives outside Nest's router:
 * - a multipart/form-data content-type parser that reads nothing, so the
 *   upload route streams the raw request itself (Fastify would otherwise
 *   refuse the type, or buffer it under the 10 MB JSON limit);
 * - Bull Board at /admin/queues. Its routes are a Fastify plugin, not Nest
 *   controllers, so the @Authenticated guard cannot apply; an onRequest hook
 *   in the plugin's scope checks the admin key with the same ApiKeyVerifier.
 */
@Injectable()
export class UploadsHttpPlumbing implements OnModuleInit {
  private readonly logger = new Logger(UploadsHttpPlumbing.name);

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @InjectQueue(QueueName.Uploads) private readonly queue: Queue,
    private readonly keys: ApiKeyVerifier,
  ) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    if (!fastify.hasContentTypeParser('multipart/form-data')) {
      fastify.addContentTypeParser('multipart/form-data', (_request, _payload, done) => done(null, undefined));
    }

    const board = new BoardAdapter();
    board.setBasePath(BOARD_PATH);
    createBullBoard({ queues: [new BullAdapter(this.queue)], serverAdapter: board });
    const keys = this.keys;
    const logger = this.logger;
    void fastify.register(async (scope) => {
      scope.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
        const header = request.headers['x-api-key'];
        try {
          const principal = await keys.verifyApiKey(typeof header === 'string' ? header : '');
          if (principal.role !== 'admin') return sendProblem(new ForbiddenProblem(), request, reply, logger as never);
        } catch {
          return sendProblem(new AuthenticationFailedProblem(), request, reply, logger as never);
        }
      });
      await scope.register(board.registerPlugin(), { prefix: BOARD_PATH });
    });
  }
}
