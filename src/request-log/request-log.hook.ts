import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ClientIpResolver } from '../auth/client-ip.resolver';
import type { AuthenticatedRequestFields } from '../auth/principal';
import { RequestLogBuffer } from './request-log.buffer';

/** Only API calls are audited; probes, metrics and docs are not. */
function isApiCall(url: string): boolean {
  return url.startsWith('/v1/') || url === '/v1' || url.startsWith('/admin/') || url === '/admin';
}

/**
 * Records every API call once its response is sent. A Fastify onResponse hook
 * rather than a Nest interceptor: it also sees calls that a guard rejected (401,
 * 403) and the final status the exception filter chose, and it runs after the
 * client already has its answer, so it cannot delay the response.
 */
@Injectable()
export class RequestLogHook implements OnModuleInit {
  private readonly logger = new Logger(RequestLogHook.name);

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly buffer: RequestLogBuffer,
    private readonly ips: ClientIpResolver,
  ) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter?.getInstance?.() as FastifyInstance | undefined;
    if (!fastify || typeof fastify.addHook !== 'function') return;
    fastify.addHook('onResponse', async (request, reply) => this.record(request, reply));
  }

  record(request: FastifyRequest, reply: FastifyReply): void {
    try {
      if (!isApiCall(request.url)) return;
      const { principal } = request as FastifyRequest & AuthenticatedRequestFields;
      const params = (request.params ?? {}) as Record<string, unknown>;
      this.buffer.add({
        at: new Date(),
        key_id: principal?.keyId ?? null,
        client_id: principal?.clientId ?? null,
        source_ip: this.ips.resolve(request),
        method: request.method,
        route: request.routeOptions?.url ?? 'unmatched',
        user_id: typeof params.user_id === 'string' ? params.user_id : null,
        status: reply.statusCode,
        latency_ms: Math.round(reply.elapsedTime * 100) / 100,
        request_id: String(request.id),
      });
    } catch (err) {
      // Auditing must never break a request; the failure is visible in the logs.
      this.logger.warn(`audit record skipped: ${(err as Error).message}`);
    }
  }
}
