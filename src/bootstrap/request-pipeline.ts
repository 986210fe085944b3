import type { BlockList } from 'node:net';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PinoLogger } from 'nestjs-pino';
import { AuthConfig } from '../auth/auth.config';
import { cidrList, clientIp } from '../common/http/client-address';
import { keepRawBody } from '../common/http/raw-body';
import { openRequestContext, requestContextOf, requestContextStorage } from '../common/http/request-context';
import { REQUEST_ID_HEADER } from '../common/http/request-id';
import { clearBodyTimer, hasMalformedEscape, MalformedUrlProblem, startBodyTimer } from '../common/http/request-hygiene';
import { AppConfig } from '../config/app.config';
import { ShutdownState } from '../health/shutdown.state';
import { HttpMetricsService } from '../metrics/http-metrics.service';
import { API_SECURITY_HEADER_OPTIONS, BROWSER_PAGE_PREFIXES, precomputeSecurityHeaders } from './security-headers';

/** Work done for every response once the client has it (metrics, the request log, the log line). */
export type AfterResponse = (request: FastifyRequest, reply: FastifyReply) => void;

/** Probes and scrapes every few seconds would drown the useful lines. */
const QUIET = /^\/(health|metrics)(\/|$|\?)/;

/**
 * The HTTP side of the request pipeline, registered on Fastify once at start-up. A request goes
 * through, in this order:
 *
 *  1. arrival (one onRequest hook): the request id (chosen by the adapter's genReqId, echoed in
 *     `X-Request-Id`), the request context with the client address (X-Forwarded-For only from
 *     AUTH_TRUSTED_PROXIES), the logging scope (every log line carries the request id), the
 *     precomputed security headers, the malformed-URL check and the body deadline;
 *  2. body: JSON keeping the raw bytes for HMAC signatures (auth), multipart passed through
 *     unread for the upload route to stream (uploads);
 *  3. the Nest guard chain, driven by route metadata (src/bootstrap/request-pipeline.guard.ts):
 *     content type → authenticate → scope the user → rate-limit; then validation and the handler;
 *  4. errors: one filter renders problem+json (configureApp);
 *  5. after the response (one onResponse hook): latency metric, the per-call request log
 *     (request-log feature), the request's log line.
 *
 * Each step is a plain function call, so nothing here costs a middleware layer per request.
 */
export function installRequestPipeline(app: NestFastifyApplication, after: AfterResponse[] = []): void {
  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  const config = app.get(AppConfig);
  const trusted = trustedProxies(app.get(AuthConfig).AUTH_TRUSTED_PROXIES);
  const pageHeaders = precomputeSecurityHeaders();
  const apiHeaders = precomputeSecurityHeaders(API_SECURITY_HEADER_OPTIONS);
  const headersFor = (url: string) => (BROWSER_PAGE_PREFIXES.some((p) => url.startsWith(p)) ? pageHeaders : apiHeaders);
  const shutdown = app.get(ShutdownState);
  const metrics = app.get(HttpMetricsService);
  const logLine = requestLogLine();

  // Node's default gives slow headers a minute; it must not exceed the request timeout.
  fastify.server.headersTimeout = Math.min(config.HTTP_HEADERS_TIMEOUT_MS, config.HTTP_REQUEST_TIMEOUT_MS);

  // 1. Arrival.
  fastify.addHook('onRequest', (request, reply, done) => {
    const context = openRequestContext(
      request,
      clientIp(request.raw.socket?.remoteAddress, request.headers['x-forwarded-for'], trusted),
    );
    reply.headers(headersFor(request.url));
    reply.header(REQUEST_ID_HEADER, context.requestId);
    requestContextStorage.run(context, () => {
      // No route can interpret such a URL; the error takes the same path as any thrown in a hook.
      if (hasMalformedEscape(request.raw.url ?? '')) return done(new MalformedUrlProblem());
      startBodyTimer(request, config.HTTP_BODY_TIMEOUT_MS);
      done();
    });
  });
  // While draining, every response closes its connection, so a keep-alive socket whose request
  // finishes after close() began cannot hold shutdown open.
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (shutdown.draining) reply.header('connection', 'close');
    done(null, payload);
  });

  // 2. Body.
  const json = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    clearBodyTimer(request);
    keepRawBody(request, body as Buffer);
    json(request, body as unknown as string, done);
  });
  if (!fastify.hasContentTypeParser('multipart/form-data')) {
    fastify.addContentTypeParser('multipart/form-data', (_request, _payload, done) => done(null, undefined));
  }

  // 5. After the response.
  const steps: AfterResponse[] = [
    (request, reply) => metrics.observe(request.method, request.routeOptions.url, reply.statusCode, reply.elapsedTime / 1000),
    ...after,
    logLine,
  ];
  fastify.addHook('onResponse', (request, reply, done) => {
    clearBodyTimer(request);
    for (const step of steps) step(request, reply);
    done();
  });
}

function trustedProxies(entries: string[]): BlockList | undefined {
  return entries.length > 0 ? cidrList(entries) : undefined;
}

/**
 * The one line per request: `request completed` at info, warn for 4xx, error for 5xx. Nothing is
 * built for a line the level filters out, and probes and scrapes are not logged.
 */
function requestLogLine(): AfterResponse {
  return (request, reply) => {
    const status = reply.statusCode;
    const level = status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
    // nestjs-pino's one root logger (it exists once the app is initialised, before any request).
    const logger = PinoLogger.root;
    if (!logger?.isLevelEnabled(level) || QUIET.test(request.url)) return;
    // The raw objects: the logger's serializers (pino-std-serializers, then ours) pick the fields.
    const requestId = requestContextOf(request).requestId;
    logger[level]({ requestId, req: request.raw, res: reply.raw, responseTime: reply.elapsedTime }, 'request completed');
  };
}
