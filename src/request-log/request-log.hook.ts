import { Injectable, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { requestContextOf } from '../common/http/request-context';
import { RequestLogBuffer } from './request-log.buffer';

/** Only API calls are logged; probes, metrics and docs are not. */
function isApiCall(url: string): boolean {
  return url.startsWith('/v1/') || url === '/v1' || url.startsWith('/admin/') || url === '/admin';
}

/**
 * Records every API call once its response is sent. A step of the pipeline's onResponse hook
 * rather than a Nest interceptor: it also sees calls that a guard rejected (401,
 * 403) and the final status the exception filter chose, and it runs after the
 * client already has its answer, so it cannot delay the response.
 *
 * Everything it needs comes from the request's context (src/common/http/request-context.ts),
 * which the request pipeline fills; it never calls into the auth feature.
 */
@Injectable()
export class RequestLogHook {
  private readonly logger = new Logger(RequestLogHook.name);

  constructor(private readonly buffer: RequestLogBuffer) {}

  /**
   * The request pipeline's after-response step (src/bootstrap/request-pipeline.ts). Never throws:
   * logging must never break a request, and a failure shows in the logs.
   */
  readonly afterResponse = (request: FastifyRequest, reply: FastifyReply): void => {
    try {
      this.record(request, reply);
    } catch (err) {
      this.logger.warn(`request log record skipped: ${(err as Error).message}`);
    }
  };

  /** Builds one record and hands it to the in-memory batch; no I/O, no lookups. */
  record(request: FastifyRequest, reply: FastifyReply): void {
    if (!isApiCall(request.url)) return;
    const context = requestContextOf(request);
    const principal = context.principal;
    // Requests refused before the pipeline scoped the user still name the user_id they asked for.
    const userId = context.user?.userId ?? (request.params as { user_id?: unknown } | undefined)?.user_id;
    this.buffer.add({
      at: new Date(),
      key_id: principal?.keyId ?? null,
      client_id: principal?.clientId ?? null,
      source_ip: context.clientIp,
      method: request.method,
      // Public API; it builds a small options object, still far cheaper than anything else here.
      route: request.routeOptions.url ?? 'unmatched',
      user_id: typeof userId === 'string' ? userId : null,
      status: reply.statusCode,
      latency_ms: Math.round(reply.elapsedTime * 100) / 100,
      request_id: context.requestId,
    });
  }
}
