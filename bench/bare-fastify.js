/**
 * The baseline: a bare Fastify server (no plugins, no hooks, logger off)
 * answering what the gateway answers, from memory:
 * - GET /health/live: `{"status":"ok"}`;
 * - POST /v1/users/:user_id/flickr/:method (when BENCH_PROXY_RESPONSE names a
 *   JSON file `{ headers, body }` captured from a cached answer of the gateway):
 *   the same body bytes with the same headers. Fastify still parses the JSON
 *   request body, as any server taking the same request would.
 * - the same route, when BENCH_FORWARD names a JSON file `{ origin, paths }` of
 *   OAuth-signed GETs to the fake Flickr made in advance (one nonce each): the
 *   floor of scenario (4), a hop that does nothing but forward. Each request
 *   takes the next signed path, fetches it from the fake with Node's fetch (undici,
 *   as flickr-sdk does in the gateway) and answers the fake's status, content type
 *   and bytes. What it adds over calling the fake directly is what any forwarding
 *   process adds on this machine: a second process to wake, two more socket hops.
 * - the same route, when BENCH_FORWARD_REQUIRED names a JSON file `{ origin, apiKey, consumerKey, consumerSecret,
 *   oauthToken, oauthTokenSecret, photoId, method }` (and BENCH_FLOOR_APP a checkout with a dist/, REDIS_URL a
 *   Redis): the required-work floor of scenario (4), only what the issue and the product require of an uncached
 *   call, each part the cheapest way: the API's security headers and a fresh X-Request-Id on the response (one
 *   hook), the caller's key looked up by its SHA-256, ONE Redis round trip standing for the rate limiter and the
 *   shared budget (a PING: less than either script), the call signed afresh with flickr-sdk (OAuth 1.0a, a new
 *   nonce each time, as the gateway signs) and sent to the fake on a keep-alive pool (undici's request, as the
 *   gateway sends), its bytes answered. No token decryption (as if the token were held in plain memory), cache,
 *   audit, metrics, validation or error handling: a strict lower bound of the gateway's work per call.
 */
const { readFileSync } = require('node:fs');
const fastify = require('fastify')({ logger: false });

fastify.get('/health/live', async () => ({ status: 'ok' }));

if (process.env.BENCH_PROXY_RESPONSE) {
  const captured = JSON.parse(readFileSync(process.env.BENCH_PROXY_RESPONSE, 'utf8'));
  const body = Buffer.from(captured.body, 'utf8');
  const headers = captured.headers;
  fastify.post('/v1/users/:user_id/flickr/:method', (request, reply) => {
    reply.code(200).headers(headers).send(body);
  });
}

if (process.env.BENCH_FORWARD) {
  const { origin, paths } = JSON.parse(readFileSync(process.env.BENCH_FORWARD, 'utf8'));
  let next = 0;
  fastify.post('/v1/users/:user_id/flickr/:method', async (_request, reply) => {
    const res = await fetch(`${origin}${paths[next++ % paths.length]}`);
    const bytes = Buffer.from(await res.arrayBuffer());
    reply.code(res.status).header('content-type', res.headers.get('content-type') ?? 'application/json').send(bytes);
  });
}

if (process.env.BENCH_FORWARD_REQUIRED) {
  const { createHash, randomUUID } = require('node:crypto');
  const path = require('node:path');
  const { Agent, request } = require('undici');
  const { Redis } = require('ioredis');
  const { createFlickr, FetchTransport } = require('flickr-sdk');
  const { precomputeSecurityHeaders, API_SECURITY_HEADER_OPTIONS } = require(path.join(process.env.BENCH_FLOOR_APP, 'dist/bootstrap/security-headers'));
  const call = JSON.parse(readFileSync(process.env.BENCH_FORWARD_REQUIRED, 'utf8'));
  const headers = precomputeSecurityHeaders(API_SECURITY_HEADER_OPTIONS);
  const sha256 = (text) => createHash('sha256').update(text).digest('hex');
  const keyHash = sha256(call.apiKey);
  const redis = new Redis(process.env.REDIS_URL);
  const agent = new Agent();
  let answer;
  // flickr-sdk signs over Flickr's real URL; the call goes to the fake, its bytes kept for the answer.
  class ToFake extends FetchTransport {
    async fetch(url) {
      const res = await request(call.origin + new URL(url).pathname + new URL(url).search, { dispatcher: agent });
      answer = { status: res.statusCode, type: res.headers['content-type'], bytes: Buffer.from(await res.body.arrayBuffer()) };
      return new Response(answer.bytes, { status: res.statusCode, headers: { 'content-type': answer.type } });
    }
  }
  const { flickr } = createFlickr(
    { consumerKey: call.consumerKey, consumerSecret: call.consumerSecret, oauthToken: call.oauthToken, oauthTokenSecret: call.oauthTokenSecret },
    new ToFake(),
  );
  fastify.addHook('onRequest', (_request, reply, done) => {
    reply.headers(headers).header('x-request-id', randomUUID());
    done();
  });
  fastify.post('/v1/users/:user_id/flickr/:method', async (request, reply) => {
    if (sha256(request.headers['x-api-key'] ?? '') !== keyHash) return reply.code(401).send();
    await redis.ping();
    await flickr(call.method, { photo_id: call.photoId });
    reply.code(answer.status).header('content-type', answer.type).send(answer.bytes);
  });
}

fastify.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
