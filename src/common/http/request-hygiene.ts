import type { FastifyRequest } from 'fastify';
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
 * Starts the body deadline of a request that has a non-upload body: if the body has not arrived
 * within `bodyTimeoutMs`, the connection is closed (a slow client must not hold a request open;
 * uploads have their own idle and rate limits). Cleared by {@link clearBodyTimer} once the body is
 * parsed or the request ends.
 */
export function startBodyTimer(request: FastifyRequest, bodyTimeoutMs: number): void {
  if (!hasBody(request) || isMultipart(request)) return;
  const timer = setTimeout(() => request.raw.destroy(), bodyTimeoutMs);
  timer.unref();
  (request as TimedRequest)[BODY_TIMER] = timer;
}

/** Stops the body deadline (no-op when none was started). */
export function clearBodyTimer(request: FastifyRequest): void {
  const timer = (request as TimedRequest)[BODY_TIMER];
  if (timer !== undefined) clearTimeout(timer);
}
