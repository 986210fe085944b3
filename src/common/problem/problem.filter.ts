import { type ArgumentsHost, Catch, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PinoLogger } from 'nestjs-pino';
import { PROBLEM_CONTENT_TYPE, renderProblem } from './problem.renderer';

/** Renders every error that reaches Nest as application/problem+json. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  constructor(private readonly logger: PinoLogger) {
    this.logger.setContext(ProblemFilter.name);
  }

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    sendProblem(error, request, reply, this.logger);
  }
}

/** Shared by the Nest filter and Fastify's own error handler (body limits, parsers). */
export function sendProblem(
  error: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
  logger: Pick<PinoLogger, 'error' | 'warn'>,
): void {
  const problem = renderProblem(error, request.url.split('?')[0] ?? request.url, String(request.id));
  if (problem.unexpected) {
    logger.error({ err: error, requestId: request.id }, 'unhandled error');
  } else if (problem.outage) {
    // One line per refused request while a data store is down; the message says which and why, no stack.
    logger.warn({ requestId: request.id, problem: problem.body.type, cause: (error as Error).message }, 'dependency unavailable');
  }
  if (reply.sent) return;
  void reply
    .status(problem.body.status)
    .headers(problem.headers)
    .header('content-type', PROBLEM_CONTENT_TYPE)
    .send(problem.body);
}
