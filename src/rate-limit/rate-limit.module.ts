import { Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import type { FastifyRequest } from 'fastify';
import { requestContextOf } from '../common/http/request-context';
import { rateLimitClassOf } from './rate-limit.class';
import { RateLimitConfig } from './rate-limit.config';
import { scopedUserKey } from '../users/user.identity';
import { principalOf, RateLimitGuard } from './rate-limit.guard';
import { RateLimitStoreModule } from './rate-limit-store.module';
import { SlidingWindowThrottlerStorage } from './sliding-window.throttler-storage';



/**
 * The client-scoped user a request names (`<client_id>/<user_id>`), or undefined without a
 * `:user_id`. The pipeline scopes it by the calling key's client, so requests naming another
 * client's user id only ever count against the caller's own (possibly non-existent) user.
 */
const scopedUserOf = (req: FastifyRequest): string | undefined => {
  const user = requestContextOf(req).user;
  return user === undefined ? undefined : scopedUserKey(user);
};

/**
 * Per key, per user_id and class, and per source IP for unauthenticated
 * traffic; one mechanism (@nestjs/throttler + our Redis sliding window).
 */
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
            // The client address as authentication sees it (X-Forwarded-For only from trusted proxies).
            getTracker: (req) => requestContextOf(req as FastifyRequest).clientIp,
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
            skipIf: (ctx) => scopedUserOf(ctx.switchToHttp().getRequest()) === undefined,
            getTracker: (req) => scopedUserOf(req as FastifyRequest)!,
            // One window per user and class: uploads cannot eat the read budget, nor the reverse.
            generateKey: (ctx, userId) => `user:${rateLimitClassOf(ctx)}:${userId}`,
          },
        ],
      }),
    }),
    RateLimitStoreModule,
  ],
  // Not a global guard: the request pipeline (src/bootstrap/request-pipeline.guard.ts) calls it once, after authentication.
  providers: [RateLimitGuard],
  exports: [RateLimitStoreModule, RateLimitGuard],
})
export class RateLimitModule {}
