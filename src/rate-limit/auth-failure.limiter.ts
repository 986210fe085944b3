import { Injectable } from '@nestjs/common';
import { RateLimitConfig } from './rate-limit.config';
import { RateLimitedProblem } from './rate-limit.errors';
import { RateLimitMetrics } from './rate-limit.metrics';
import { SlidingWindowStore } from './sliding-window.store';

/**
 * Brute-force protection: failed authentications are counted per source IP in
 * the same sliding window as every other limit; past the limit, that IP is
 * refused before any credential is checked (so it cannot make us run bcrypt).
 * When Redis is unreachable this fails open: authentication itself still holds.
 */
@Injectable()
export class AuthFailureLimiter {
  constructor(
    private readonly store: SlidingWindowStore,
    private readonly config: RateLimitConfig,
    private readonly metrics: RateLimitMetrics,
  ) {}

  /** Throws a 429 problem when `ip` has used up its failed attempts. */
  async assertAllowed(ip: string): Promise<void> {
    if (!this.config.RATE_LIMIT_ENABLED) return;
    const { LIMIT, WINDOW } = this.limits();
    const state = await this.store.peek(this.key(ip), LIMIT, WINDOW).catch(() => undefined);
    if (state && !state.allowed) {
      this.metrics.limited('ip', 'auth-failure');
      throw new RateLimitedProblem('ip', 'auth-failure', LIMIT, WINDOW, Math.max(1, Math.ceil(state.retryAfterMs / 1000)), {});
    }
  }

  /** Counts one failed authentication from `ip`. */
  async recordFailure(ip: string): Promise<void> {
    if (!this.config.RATE_LIMIT_ENABLED) return;
    const { LIMIT, WINDOW } = this.limits();
    await this.store.hit(this.key(ip), LIMIT, WINDOW).catch(() => undefined);
  }

  private key(ip: string): string {
    return `authfail:${ip}`;
  }

  private limits() {
    return { LIMIT: this.config.RATE_LIMIT_AUTH_FAILURES_LIMIT, WINDOW: this.config.RATE_LIMIT_AUTH_FAILURES_WINDOW_MS };
  }
}
