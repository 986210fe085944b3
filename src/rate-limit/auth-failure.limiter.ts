import { Injectable } from '@nestjs/common';
import { addressBucket } from '../common/http/client-address';
import { RateLimitConfig } from './rate-limit.config';
import { RateLimitedProblem } from './rate-limit.errors';
import { RateLimitMetrics } from './rate-limit.metrics';
import { SlidingWindowStore } from './sliding-window.store';

/**
 * Brute-force protection: failed authentications are counted per source
 * address (IPv6 by /64) and per presented key id, in the same sliding window
 * as every other limit; past either limit, unverified attempts are refused
 * before any credential is checked (so they cannot make us run bcrypt). It is
 * never a kill switch: the guard does not consult it for a request whose key
 * was verified recently (docs/authentication.md). When Redis is unreachable it
 * fails open: authentication itself still holds.
 */
@Injectable()
export class AuthFailureLimiter {
  constructor(
    private readonly store: SlidingWindowStore,
    private readonly config: RateLimitConfig,
    private readonly metrics: RateLimitMetrics,
  ) {}

  /** Throws a 429 problem when `ip`'s bucket, or the presented `keyId`, has used up its failed attempts. */
  async assertAllowed(ip: string, keyId?: string): Promise<void> {
    if (!this.config.RATE_LIMIT_ENABLED) return;
    const { LIMIT, WINDOW } = this.limits();
    const keys = this.keys(ip, keyId);
    // Both buckets in one round trip.
    const states = await this.store.peekAll(keys.map(([, key]) => ({ key, limit: LIMIT, windowMs: WINDOW }))).catch(() => undefined);
    if (!states) return;
    keys.forEach(([scope], i) => {
      const state = states[i]!;
      if (state.allowed) return;
      this.metrics.limited(scope, 'auth-failure');
      throw new RateLimitedProblem(scope, 'auth-failure', LIMIT, WINDOW, Math.max(1, Math.ceil(state.retryAfterMs / 1000)), {});
    });
  }

  /** Counts one failed authentication from `ip` (and against `keyId` when the request named one). */
  async recordFailure(ip: string, keyId?: string): Promise<void> {
    if (!this.config.RATE_LIMIT_ENABLED) return;
    const { LIMIT, WINDOW } = this.limits();
    // Each bucket counts on its own (not all-or-nothing): a full ip bucket must not stop the key's count.
    await Promise.all(this.keys(ip, keyId).map(([, key]) => this.store.hit(key, LIMIT, WINDOW).catch(() => undefined)));
  }

  private keys(ip: string, keyId?: string): Array<['ip' | 'key', string]> {
    const keys: Array<['ip' | 'key', string]> = [['ip', `authfail:ip:${addressBucket(ip)}`]];
    if (keyId) keys.push(['key', `authfail:key:${keyId}`]);
    return keys;
  }

  private limits() {
    return { LIMIT: this.config.RATE_LIMIT_AUTH_FAILURES_LIMIT, WINDOW: this.config.RATE_LIMIT_AUTH_FAILURES_WINDOW_MS };
  }
}
