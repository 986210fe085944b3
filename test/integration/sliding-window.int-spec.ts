import { randomBytes } from 'node:crypto';
import { RedisConnectionFactory } from '../../src/redis/redis.factory';
import { RedisConfig } from '../../src/redis/redis.config';
import { loadSlice } from '../../src/config/env.validation';
import { SlidingWindowStore } from '../../src/rate-limit/sliding-window.store';
import { AuthFailureLimiter } from '../../src/rate-limit/auth-failure.limiter';
import { RateLimitConfig } from '../../src/rate-limit/rate-limit.config';
import { RateLimitedProblem } from '../../src/rate-limit/rate-limit.errors';
import type { RateLimitMetrics } from '../../src/rate-limit/rate-limit.metrics';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The limiter's Redis adapter against the real Redis: two stores stand for two replicas. */
describe('SlidingWindowStore (real Redis)', () => {
  const factory = new RedisConnectionFactory(loadSlice(RedisConfig, process.env));
  const replicaA = new SlidingWindowStore(factory);
  const replicaB = new SlidingWindowStore(factory);
  const key = () => `it:${randomBytes(4).toString('hex')}`;

  // A plain connection with the stores' key prefix, to lay out and inspect logs directly.
  const raw = factory.create('sliding-window-test');

  afterAll(async () => {
    await replicaA.onApplicationShutdown();
    await replicaB.onApplicationShutdown();
    raw.disconnect();
  });

  /** Redis's own clock in ms, the limiter's time. */
  async function redisNow(): Promise<number> {
    const [s, us] = await raw.time();
    return Number(s) * 1000 + Math.floor(Number(us) / 1000);
  }

  it('admits exactly N of 50 concurrent requests split across two replicas', async () => {
    const k = key();
    const N = 17;
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => (i % 2 ? replicaA : replicaB).hit(k, N, 60_000)),
    );
    expect(results.filter((r) => r.allowed)).toHaveLength(N);
    const counts = results.filter((r) => r.allowed).map((r) => r.count).sort((a, b) => a - b);
    expect(counts).toEqual(Array.from({ length: N }, (_, i) => i + 1));
    for (const refused of results.filter((r) => !r.allowed)) {
      expect(refused.retryAfterMs).toBeGreaterThan(0);
      expect(refused.retryAfterMs).toBeLessThanOrEqual(60_000);
    }
  });

  it('slides: capacity returns as old requests age out, not all at once', async () => {
    const k = key();
    const windowMs = 3000;
    for (let i = 0; i < 3; i++) expect((await replicaA.hit(k, 5, windowMs)).allowed).toBe(true);
    await sleep(1500);
    for (let i = 0; i < 2; i++) expect((await replicaB.hit(k, 5, windowMs)).allowed).toBe(true);
    const refused = await replicaA.hit(k, 5, windowMs);
    expect(refused.allowed).toBe(false);
    // Wait until the first three have aged out (the refusal says when the first slot frees).
    await sleep(refused.retryAfterMs + 100);
    const after = [];
    for (let i = 0; i < 4; i++) after.push((await replicaA.hit(k, 5, windowMs)).allowed);
    // Only the three oldest slots came back; the two younger requests still count.
    expect(after).toEqual([true, true, true, false]);
  });

  it('does not count refused requests', async () => {
    const k = key();
    expect((await replicaA.hit(k, 1, 60_000)).allowed).toBe(true);
    for (let i = 0; i < 5; i++) expect((await replicaA.hit(k, 1, 60_000)).count).toBe(1);
  });

  it('peek answers without counting', async () => {
    const k = key();
    for (let i = 0; i < 5; i++) expect((await replicaA.peek(k, 1, 60_000)).allowed).toBe(true);
    expect((await replicaA.hit(k, 1, 60_000)).allowed).toBe(true);
    expect((await replicaB.peek(k, 1, 60_000)).allowed).toBe(false);
  });

  it('AuthFailureLimiter refuses an IP once its failed attempts are used up, and only that IP', async () => {
    const config = loadSlice(RateLimitConfig, { RATE_LIMIT_AUTH_FAILURES_LIMIT: '3' });
    const metrics = { limited: jest.fn() } as unknown as RateLimitMetrics;
    const limiter = new AuthFailureLimiter(replicaA, config, metrics);
    const ip = `203.0.113.${Math.floor(Math.random() * 200)}-${randomBytes(2).toString('hex')}`;
    for (let i = 0; i < 3; i++) {
      await expect(limiter.assertAllowed(ip)).resolves.toBeUndefined();
      await limiter.recordFailure(ip);
    }
    await expect(limiter.assertAllowed(ip)).rejects.toBeInstanceOf(RateLimitedProblem);
    await expect(limiter.assertAllowed(`${ip}-other`)).resolves.toBeUndefined();
    expect(metrics.limited).toHaveBeenCalledWith('ip', 'auth-failure');
  });

  it('AuthFailureLimiter also counts per key id, and per IPv6 /64', async () => {
    const config = loadSlice(RateLimitConfig, { RATE_LIMIT_AUTH_FAILURES_LIMIT: '2' });
    const metrics = { limited: jest.fn() } as unknown as RateLimitMetrics;
    const limiter = new AuthFailureLimiter(replicaA, config, metrics);
    const keyId = `k${randomBytes(6).toString('hex')}`;
    // Two failures for one key id from two unrelated addresses: that key id is refused from anywhere.
    await limiter.recordFailure(`198.51.100.${Math.floor(Math.random() * 200)}`, keyId);
    await limiter.recordFailure(`192.0.2.${Math.floor(Math.random() * 200)}`, keyId);
    await expect(limiter.assertAllowed('203.0.113.250', keyId)).rejects.toBeInstanceOf(RateLimitedProblem);
    expect(metrics.limited).toHaveBeenCalledWith('key', 'auth-failure');
    await expect(limiter.assertAllowed('203.0.113.250', `${keyId}x`)).resolves.toBeUndefined();
    // Two failures from two addresses of one /64: the whole /64 is refused, the next /64 is not.
    const net = `2001:db8:${randomBytes(2).toString('hex')}:1`;
    await limiter.recordFailure(`${net}::a`);
    await limiter.recordFailure(`${net}:ffff::b`);
    await expect(limiter.assertAllowed(`${net}::c`)).rejects.toBeInstanceOf(RateLimitedProblem);
    await expect(limiter.assertAllowed(`${net.slice(0, -1)}2::c`)).resolves.toBeUndefined();
  });

  it('keeps separate keys separate', async () => {
    const [a, b] = [key(), key()];
    expect((await replicaA.hit(a, 1, 60_000)).allowed).toBe(true);
    expect((await replicaA.hit(b, 1, 60_000)).allowed).toBe(true);
    expect((await replicaA.hit(a, 1, 60_000)).allowed).toBe(false);
  });

  it('drops any number of stale entries in one check, and counts exactly the fresh ones (laid-out logs)', async () => {
    // Lists laid out by hand against Redis's clock: `stale` entries older than the window at the tail, `fresh`
    // entries inside it, newest first as the script keeps them. Every split of small logs, and large ones (a
    // user's hourly 3,500 gone quiet), so the doubling-and-halving search is checked at its every boundary.
    const windowMs = 3_600_000;
    const step = 100;
    const cases: Array<[number, number]> = [];
    for (let len = 1; len <= 17; len++) for (let stale = 0; stale <= len; stale++) cases.push([len - stale, stale]);
    cases.push([0, 3500], [1, 3499], [3499, 1], [1750, 1750], [2, 4097], [4097, 2]);
    const now = await redisNow();
    for (const [fresh, stale] of cases) {
      const k = key();
      // Fresh entries 0.1 s apart from 0.1 s old (at most ≈ 7 min: well inside the window even if the test is slow);
      // stale ones 0.1 s apart from 0.1 s past it.
      const times = [
        ...Array.from({ length: fresh }, (_, i) => now - step * (i + 1)),
        ...Array.from({ length: stale }, (_, i) => now - windowMs - step * (i + 1)),
      ];
      for (let i = 0; i < times.length; i += 1000) await raw.rpush(`rlog:${k}`, ...times.slice(i, i + 1000));
      const looked = await replicaA.peek(k, 1_000_000, windowMs);
      const label = `fresh ${fresh}, stale ${stale}`;
      expect({ label, count: looked.count, left: await raw.llen(`rlog:${k}`) }).toEqual({ label, count: fresh, left: fresh });
      if (fresh > 0) {
        // The oldest fresh entry frees the first slot: a window after it (less the time elapsed since `now`).
        const expected = windowMs - step * fresh;
        expect(looked.resetMs).toBeLessThanOrEqual(expected);
        expect(looked.resetMs).toBeGreaterThan(expected - 5000);
      } else {
        expect(looked.resetMs).toBe(0);
        expect(await raw.exists(`rlog:${k}`)).toBe(0);
      }
      // At the limit, one more is refused; one below it, admitted and counted.
      if (fresh > 0) expect((await replicaB.hit(k, fresh, windowMs)).allowed).toBe(false);
      const admitted = await replicaB.hit(k, fresh + 1, windowMs);
      expect({ label, allowed: admitted.allowed, count: admitted.count }).toEqual({ label, allowed: true, count: fresh + 1 });
      await raw.del(`rlog:${k}`);
    }
  });

  it('a log sets its expiry one window past its newest entry, and a sorted set left by an earlier version is ignored', async () => {
    const k = key();
    // What an earlier version kept under the old name: a sorted set. The list lives under its own name.
    await raw.zadd(`rl:${k}`, Date.now(), 'legacy');
    expect((await replicaA.hit(k, 2, 60_000)).allowed).toBe(true);
    expect(await raw.type(`rlog:${k}`)).toBe('list');
    const ttl = await raw.pttl(`rlog:${k}`);
    expect(ttl).toBeGreaterThan(55_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
    await raw.del(`rl:${k}`, `rlog:${k}`);
  });
});
