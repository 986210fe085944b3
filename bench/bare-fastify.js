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

fastify.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
