/**
 * The framework's floor, reported beside the gateway so its own overhead can be told from what NestJS itself
 * costs on this machine: the smallest NestJS app on Fastify (one controller, nothing else: no guards, pipes, hooks
 * or logging).
 * - GET /health/live, the floor of scenario (1).
 * - With BENCH_PROXY_RESPONSE (the captured cached answer, as for bench/bare-fastify.js) and BENCH_FLOOR_APP (a
 *   checkout with a dist/): POST /v1/users/:user_id/flickr/:method, the floor of scenario (2) — only what issue 15
 *   itself requires of every cached read and no more: the one Redis round trip of the rate-limit windows (the
 *   gateway's own SlidingWindowStore and script, a key and a user window, on REDIS_URL under REDIS_KEY_PREFIX),
 *   then the captured bytes and headers. No authentication, request log, metrics, validation or cache lookup.
 *   With BENCH_FLOOR_PING=1 the round trip is a PING on the same connection instead: what a round trip costs
 *   without the limiter's script.
 */
require('reflect-metadata');
const { readFileSync } = require('node:fs');
const path = require('node:path');
const { Controller, Get, Module, Post, Req, Res } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { FastifyAdapter } = require('@nestjs/platform-fastify');

class HealthController {
  live() {
    return { status: 'ok' };
  }
}
Controller('health')(HealthController);
Get('live')(HealthController.prototype, 'live', Object.getOwnPropertyDescriptor(HealthController.prototype, 'live'));

const controllers = [HealthController];

if (process.env.BENCH_PROXY_RESPONSE && process.env.BENCH_FLOOR_APP) {
  const captured = JSON.parse(readFileSync(process.env.BENCH_PROXY_RESPONSE, 'utf8'));
  const body = Buffer.from(captured.body, 'utf8');
  const { Redis } = require('ioredis');
  const { SlidingWindowStore } = require(path.join(process.env.BENCH_FLOOR_APP, 'dist/rate-limit/sliding-window.store'));
  const windows = new SlidingWindowStore({
    create: (_name, options) => new Redis(process.env.REDIS_URL, { keyPrefix: process.env.REDIS_KEY_PREFIX, ...options }),
  });
  const HIGH = 1_000_000_000;
  class ProxyFloorController {
    async call(request, reply) {
      const { user_id: userId } = request.params;
      if (process.env.BENCH_FLOOR_PING) await windows.redis.ping();
      else await windows.hitAll([
        { key: 'key:floor', limit: HIGH, windowMs: 1000 },
        { key: `user:read:floor/${userId}`, limit: HIGH, windowMs: 1000 },
      ]);
      reply.code(200).headers(captured.headers).send(body);
    }
  }
  Controller('v1/users/:user_id/flickr')(ProxyFloorController);
  const call = Object.getOwnPropertyDescriptor(ProxyFloorController.prototype, 'call');
  Req()(ProxyFloorController.prototype, 'call', 0);
  Res()(ProxyFloorController.prototype, 'call', 1);
  Post(':method')(ProxyFloorController.prototype, 'call', call);
  controllers.push(ProxyFloorController);
}

class MinimalModule {}
Module({ controllers })(MinimalModule);

(async () => {
  const app = await NestFactory.create(MinimalModule, new FastifyAdapter(), { logger: false });
  await app.listen(Number(process.env.PORT), process.env.HOST ?? '127.0.0.1');
})();
