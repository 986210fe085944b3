import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ProblemException } from '../problem/problem.exception';

/** 400: the URL has a malformed percent-escape (e.g. `?%zz=1`), which no route can interpret. */
export class MalformedUrlProblem extends ProblemException {
  constructor() {
    super('malformed-url', 'Malformed URL', 400, 'The URL contains a malformed percent-escape (a % not followed by two hex digits).');
  }
}

/** True when `url` holds a `%` that is not followed by two hex digits. */
export function hasMalformedEscape(url: string): boolean {
  return /%(?![0-9A-Fa-f]{2})/.test(url);
}

const BODY_TIMER = Symbol('fgw.bodyTimer');
type TimedRequest = FastifyRequest & { [BODY_TIMER]?: NodeJS.Timeout };

/** Whether the request is an upload: its body is streamed by its handler, under the uploads' own limits. */
const isMultipart = (request: FastifyRequest) => (request.headers['content-type'] ?? '').toLowerCase().startsWith('multipart/');
const hasBody = (request: FastifyRequest) =>
  request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length'] ?? 0) > 0;

/**
 * Refuses, before any route runs, what no route can handle: a malformed
 * percent-escape in the URL (400 problem), and a non-upload body that does not
 * arrive within `bodyTimeoutMs` (the connection is closed: a slow client must
 * not hold a request open; uploads have their own idle and rate limits).
 */
export function registerRequestHygiene(fastify: FastifyInstance, options: { bodyTimeoutMs: number }): void {
  fastify.addHook('onRequest', async (request) => {
    if (hasMalformedEscape(request.raw.url ?? '')) throw new MalformedUrlProblem();
    if (!hasBody(request) || isMultipart(request)) return;
    const timer = setTimeout(() => request.raw.destroy(), options.bodyTimeoutMs);
    timer.unref();
    (request as TimedRequest)[BODY_TIMER] = timer;
  });
  const clear = async (request: FastifyRequest) => clearTimeout((request as TimedRequest)[BODY_TIMER]);
  // The body is parsed by then (or the request ended some other way).
  fastify.addHook('preValidation', clear);
  fastify.addHook('onResponse', clear);
  fastify.addHook('onRequestAbort', clear);
}
