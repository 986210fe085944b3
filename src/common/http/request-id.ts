import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const REQUEST_ID_HEADER = 'x-request-id';

/** A caller-supplied id is kept only if it is short and made of safe characters (no log injection). */
const WELL_FORMED = /^[A-Za-z0-9._:-]{8,128}$/;

/** Fastify's genReqId: reuse a well-formed X-Request-Id, else mint a UUID. */
export function requestIdFor(req: IncomingMessage): string {
  const given = req.headers[REQUEST_ID_HEADER];
  const candidate = Array.isArray(given) ? given[0] : given;
  return candidate && WELL_FORMED.test(candidate) ? candidate : randomUUID();
}
