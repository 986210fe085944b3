// The baseline: a bare Fastify server answering what /health/live answers.
const fastify = require('fastify')({ logger: false });
fastify.get('/health/live', async () => ({ status: 'ok' }));
fastify.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
