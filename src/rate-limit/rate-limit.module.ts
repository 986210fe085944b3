import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import type { FastifyRequest } from 'fastify';
import { AuthFailureLimiter } from './auth-failure.limiter';
import { rateLimitClassOf } from './rate-limit.class';
import { RateLimitConfig } from './rate-limit.config';
import { principalOf, RateLimitGuard } from './rate-limit.guard';
import { RateLimitMetrics, rateLimitMetricProviders } from './rate-limit.metrics';
import { SlidingWindowThrottlerStorage } from './sliding-window.throttler-storage';
import { SlidingWindowStore } from './sliding-window.store';

/** The Redis-backed store, in a module of its own so the throttler options factory can inject it. */
@Module({
  providers: [SlidingWindowStore, SlidingWindowThrottlerStorage],
  exports: [SlidingWindowStore, SlidingWindowThrottlerStorage],
})
export class RateLimitStoreModule {}

const userIdOf = (req: FastifyRequest): string | undefined => (req.params as Record<string, string> | undefined)?.user_id;

/**
 * Per key, per user_id and class, and per source IP for unauthenticated
 * traffic; one mechanism (@nestjs/throttler + our Redis sliding window).
 */
@Global()
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      imports: [RateLimitStoreModule],
      inject: [RateLimitConfig, SlidingWindowThrottlerStorage],
      useFactory: (config: RateLimitConfig, storage: SlidingWindowThrottlerStorage) => ({
        storage,
        throttlers: [
          {
            name: 'ip',
            limit: config.RATE_LIMIT_IP_LIMIT,
            ttl: config.RATE_LIMIT_IP_WINDOW_MS,
            skipIf: (ctx) => principalOf(ctx.switchToHttp().getRequest()) !== undefined,
            getTracker: (req) => (req as FastifyRequest).ip,
            generateKey: (_ctx, ip) => `ip:${ip}`,
          },
          {
            name: 'key',
            limit: (ctx) => principalOf(ctx.switchToHttp().getRequest())?.rateLimit ?? config.RATE_LIMIT_KEY_LIMIT,
            ttl: config.RATE_LIMIT_KEY_WINDOW_MS,
            skipIf: (ctx) => principalOf(ctx.switchToHttp().getRequest()) === undefined,
            getTracker: (req) => principalOf(req as FastifyRequest)!.keyId,
            generateKey: (_ctx, keyId) => `key:${keyId}`,
          },
          {
            name: 'user',
            limit: (ctx) => config.userLimit(rateLimitClassOf(ctx)),
            ttl: config.RATE_LIMIT_USER_WINDOW_MS,
            skipIf: (ctx) => userIdOf(ctx.switchToHttp().getRequest()) === undefined,
            getTracker: (req) => userIdOf(req as FastifyRequest)!,
            // One window per user and class: uploads cannot eat the read budget, nor the reverse.
            generateKey: (ctx, userId) => `user:${rateLimitClassOf(ctx)}:${userId}`,
          },
        ],
      }),
    }),
    RateLimitStoreModule,
  ],
  providers: [
    RateLimitMetrics,
    ...rateLimitMetricProviders,
    AuthFailureLimiter,
    { provide: APP_GUARD, useClass: RateLimitGuard },
  ],
  exports: [AuthFailureLimiter],
})
export class RateLimitModule {}
