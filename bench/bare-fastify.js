/**
 * The baseline: a bare Fastify server (no plugins, no hooks, logger off)
 * answering what the gateway answers, from memory:
 * - GET /health/live: `{"status":"ok"}`;
 * - POST /v1/users/:user_id/flickr/:method (when BENCH_PROXY_RESPONSE names a
 *   JSON file `{ headers, body }` captured from a cached answer of the gateway):
 *   the same body bytes with the same headers. Fastify still parses the JSON
 *   request body, as any server taking the same request would.
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

fastify.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
