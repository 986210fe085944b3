import type { FastifyRequest } from 'fastify';

const RAW_BODY = Symbol('fgw.rawBody');
type WithRawBody = FastifyRequest & { [RAW_BODY]?: Buffer };

/**
 * Keeps the body bytes exactly as sent, which the JSON parser discards: HMAC signatures cover them
 * (src/auth/hmac.verifier.ts). The pipeline's JSON parser reads the body as one buffer anyway, so
 * keeping a reference costs nothing.
 */
export function keepRawBody(request: FastifyRequest, body: Buffer): void {
  (request as WithRawBody)[RAW_BODY] = body;
}

/** The raw body bytes of a request (empty when it had none, or was not JSON). */
export function rawBodyOf(request: FastifyRequest): Buffer {
  return (request as WithRawBody)[RAW_BODY] ?? EMPTY;
}

const EMPTY = Buffer.alloc(0);
