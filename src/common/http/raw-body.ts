import { Transform } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HMAC_HEADERS } from './hmac.signing';

const RAW_BODY = Symbol('fgw.rawBody');
type WithRawBody = FastifyRequest & { [RAW_BODY]?: Buffer };

/** The raw body bytes of a signed request (empty when it had none). */
export function rawBodyOf(request: FastifyRequest): Buffer {
  return (request as WithRawBody)[RAW_BODY] ?? Buffer.alloc(0);
}

/**
 * HMAC signatures cover the body bytes exactly as sent, which the JSON parser
 * discards. For signed requests only, a pass-through stream copies the bytes
 * while Fastify's own parser (and its body limit) reads them as usual.
 */
export function registerRawBodyCapture(fastify: FastifyInstance): void {
  fastify.addHook('preParsing', async (request, _reply, payload) => {
    if (request.headers[HMAC_HEADERS.signature] === undefined) return payload;
    const chunks: Buffer[] = [];
    const tee = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        chunks.push(chunk);
        callback(null, chunk);
      },
      flush(callback) {
        (request as WithRawBody)[RAW_BODY] = Buffer.concat(chunks);
        callback();
      },
    });
    payload.on('error', (err) => tee.destroy(err));
    const out = payload.pipe(tee) as Transform & { receivedEncodedLength?: number };
    // Fastify compares this with Content-Length; keep the original stream's count.
    Object.defineProperty(out, 'receivedEncodedLength', {
      get: () => (payload as typeof payload & { receivedEncodedLength?: number }).receivedEncodedLength,
    });
    return out;
  });
}
