import { Module } from '@nestjs/common';
import { AuthFailureLimiter } from './auth-failure.limiter';
import { RateLimitMetrics, rateLimitMetricProviders } from './rate-limit.metrics';
import { SlidingWindowThrottlerStorage } from './sliding-window.throttler-storage';
import { SlidingWindowStore } from './sliding-window.store';

/**
 * The Redis-backed store, its metrics and the failed-authentication limiter, in
 * a module of their own: the throttler options factory, the auth module and the
 * Flickr budget import it without pulling in the global guard.
 */
@Module({
  providers: [SlidingWindowStore, SlidingWindowThrottlerStorage, RateLimitMetrics, ...rateLimitMetricProviders, AuthFailureLimiter],
  exports: [SlidingWindowStore, SlidingWindowThrottlerStorage, RateLimitMetrics, AuthFailureLimiter],
})
export class RateLimitStoreModule {}
