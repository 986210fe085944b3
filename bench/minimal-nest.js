/**
 * The framework's floor for scenario (1): the smallest NestJS app on Fastify answering GET /health/live
 * (one controller, nothing else: no guards, pipes, hooks or logging). Reported beside the gateway, so
 * the gateway's own overhead can be told from what NestJS itself costs on this machine.
 */
require('reflect-metadata');
const { Controller, Get, Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { FastifyAdapter } = require('@nestjs/platform-fastify');

class HealthController {
  live() {
    return { status: 'ok' };
  }
}
Controller('health')(HealthController);
Get('live')(HealthController.prototype, 'live', Object.getOwnPropertyDescriptor(HealthController.prototype, 'live'));

class MinimalModule {}
Module({ controllers: [HealthController] })(MinimalModule);

(async () => {
  const app = await NestFactory.create(MinimalModule, new FastifyAdapter(), { logger: false });
  await app.listen(Number(process.env.PORT), process.env.HOST ?? '127.0.0.1');
})();
