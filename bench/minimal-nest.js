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
 * - With BENCH_FLOOR_REQUIRED=1 (and BENCH_FLOOR_APP): the required-work floor, a strict lower bound of what any
 *   gateway meeting issue 15 and the product's promises must do per request, each part done the cheapest way and
 *   nothing else:
 *     every response: the API's security headers (precomputed with the gateway's own helmet options), a fresh
 *       X-Request-Id, one observation of a request-duration histogram (prom-client) — no guard, pipe or filter;
 *     the cached read: the caller identified (X-API-Key: a SHA-256 of the presented key looked up in a Map, the
 *       cheapest form of a verified-key cache; or the HMAC signature checked with the gateway's own function over
 *       the raw body, and its nonce claimed with SET NX), ONE Redis round trip standing for the rate limiter (a PING,
 *       less than any limiter's script costs; for HMAC the nonce's SET NX is that one round trip), the audit
 *       record appended and written every AUDIT_FLUSH_INTERVAL_MS (1 s) with the gateway's own request-log
 *       repository (its batch documents, FerretDB), then the captured bytes. No authorisation, user scope, cache
 *       lookup, validation, logging or error handling.
 *   If this floor misses a target on this machine, no implementation of the issue on its mandated parts can meet it.
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
  if (!process.env.BENCH_FLOOR_REQUIRED) controllers.push(ProxyFloorController);
  else controllers.push(requiredFloorController(captured, body, windows.redis));
}

/** The required-work floor's cached read (see the header comment): identify, one round trip, audit, answer. */
function requiredFloorController(captured, body, redis) {
  const { createHash } = require('node:crypto');
  const dist = (m) => require(path.join(process.env.BENCH_FLOOR_APP, 'dist', m));
  const { signatureMatches, splitUrl, HMAC_HEADERS } = dist('auth/hmac.signing');
  const { RequestLogRepository } = dist('request-log/request-log.repository');
  const { requestLogSchema, REQUEST_LOG_MODEL } = dist('request-log/request-log.schema');
  const mongoose = require('mongoose');
  const connection = mongoose.createConnection(process.env.MONGODB_URI, { dbName: process.env.MONGODB_DATABASE });
  const logs = new RequestLogRepository(connection.model(REQUEST_LOG_MODEL, requestLogSchema(30)));
  const sha256 = (text) => createHash('sha256').update(text).digest('hex');
  const keyId = process.env.BENCH_FLOOR_KEY_ID;
  const secret = process.env.BENCH_FLOOR_SIGNING_SECRET;
  const keys = new Map([[sha256(process.env.BENCH_FLOOR_API_KEY), { keyId, clientId: process.env.BENCH_FLOOR_CLIENT_ID }]]);
  let pending = [];
  setInterval(() => {
    if (pending.length === 0) return;
    const records = pending;
    pending = [];
    logs.insertMany(records).catch((e) => console.error(`audit write: ${e.message}`));
  }, 1000).unref();
  class RequiredFloorController {
    async call(request, reply) {
      const started = performance.now();
      const { user_id: userId } = request.params;
      const presented = request.headers['x-api-key'];
      let principal;
      if (presented) {
        principal = keys.get(sha256(presented));
        await redis.ping();
      } else {
        const { path: urlPath, query } = splitUrl(request.raw.url);
        const h = (name) => request.headers[name];
        const parts = { method: request.method, path: urlPath, query, timestamp: h(HMAC_HEADERS.timestamp), nonce: h(HMAC_HEADERS.nonce), body: request.rawBody };
        if (h(HMAC_HEADERS.keyId) === keyId && signatureMatches(secret, parts, h(HMAC_HEADERS.signature))) principal = keys.values().next().value;
        // The nonce claim is the one round trip (the limiter's would have to ride along in the same script): an
        // explicit ioredis pipeline of SET NX + PING cost the client ≈ 3 times a single command.
        if ((await redis.set(`floor:nonce:${keyId}:${parts.nonce}`, '1', 'EX', 600, 'NX')) !== 'OK') principal = undefined;
      }
      if (!principal) return reply.code(401).send();
      pending.push({
        at: new Date(), key_id: principal.keyId, client_id: principal.clientId, source_ip: request.ip, method: request.method,
        route: '/v1/users/:user_id/flickr/:method', user_id: userId, status: 200,
        latency_ms: Math.round((performance.now() - started) * 100) / 100, request_id: request.id,
      });
      reply.code(200).headers(captured.headers).header('x-request-id', request.id).send(body);
    }
  }
  Controller('v1/users/:user_id/flickr')(RequiredFloorController);
  const call = Object.getOwnPropertyDescriptor(RequiredFloorController.prototype, 'call');
  Req()(RequiredFloorController.prototype, 'call', 0);
  Res()(RequiredFloorController.prototype, 'call', 1);
  Post(':method')(RequiredFloorController.prototype, 'call', call);
  return RequiredFloorController;
}

class MinimalModule {}
Module({ controllers })(MinimalModule);

(async () => {
  const required = Boolean(process.env.BENCH_FLOOR_REQUIRED);
  const app = await NestFactory.create(
    MinimalModule,
    new FastifyAdapter(required ? { genReqId: () => require('node:crypto').randomUUID() } : {}),
    { logger: false, rawBody: required },
  );
  if (required) {
    // The per-response part of the required-work floor: headers, request id, one histogram observation.
    const fastify = app.getHttpAdapter().getInstance();
    const { precomputeSecurityHeaders, API_SECURITY_HEADER_OPTIONS } = require(path.join(process.env.BENCH_FLOOR_APP, 'dist/bootstrap/security-headers'));
    const headers = precomputeSecurityHeaders(API_SECURITY_HEADER_OPTIONS);
    const { Histogram } = require('prom-client');
    const duration = new Histogram({ name: 'http_request_duration_seconds', help: 'latency', labelNames: ['method', 'route', 'status_code'] });
    fastify.addHook('onRequest', (request, reply, done) => {
      reply.headers(headers).header('x-request-id', request.id);
      done();
    });
    fastify.addHook('onResponse', (request, reply, done) => {
      duration.observe({ method: request.method, route: request.routeOptions.url, status_code: reply.statusCode }, reply.elapsedTime / 1000);
      done();
    });
  }
  await app.listen(Number(process.env.PORT), process.env.HOST ?? '127.0.0.1');
})();
