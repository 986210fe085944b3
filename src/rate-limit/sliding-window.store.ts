import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { RedisConnectionFactory } from '../redis/redis.factory';
import type { WindowResult } from './rate-limit.types';
import { closeRedis } from '../redis/redis.close';

/**
 * Sliding log in a sorted set, in one Lua script (one round trip, atomic across
 * replicas). Time comes from Redis TIME so replicas with skewed clocks agree.
 * A request is counted only when allowed, so refused requests do not push the
 * window further out for a client that backs off correctly.
 */
const SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
local allowed = 0
if count < limit then
  allowed = 1
  if ARGV[4] == '1' then
    redis.call('ZADD', KEYS[1], now, now .. ':' .. ARGV[3])
    count = count + 1
  end
end
redis.call('PEXPIRE', KEYS[1], window)
local reset = 0
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if oldest[2] then reset = tonumber(oldest[2]) + window - now end
local retry = 0
if allowed == 0 then retry = reset end
return {allowed, count, retry, reset}
`;

type SlidingWindowRedis = Redis & {
  fgwSlidingWindow(
    key: string,
    windowMs: number,
    limit: number,
    nonce: string,
    count: '0' | '1',
  ): Promise<[number, number, number, number]>;
};

/**
 * Redis adapter of the limiter: one atomic `hit` per check, nothing else. It has
 * its own connection that fails fast (short command timeout, no retries): while
 * Redis is down a check must fail within half a second so the per-class
 * fail-open/fail-closed rule decides, instead of requests piling up.
 */
@Injectable()
export class SlidingWindowStore implements OnApplicationShutdown {
  private readonly redis: SlidingWindowRedis;

  constructor(factory: RedisConnectionFactory) {
    const redis = factory.create('rate-limit', { commandTimeout: 500, maxRetriesPerRequest: 0 });
    redis.defineCommand('fgwSlidingWindow', { numberOfKeys: 1, lua: SCRIPT });
    // Errors surface through failed commands; an unhandled 'error' event would only add noise.
    redis.on('error', () => undefined);
    this.redis = redis as SlidingWindowRedis;
  }

  async onApplicationShutdown(): Promise<void> {
    await closeRedis(this.redis);
  }

  /** Counts one request against `key` if fewer than `limit` were counted in the last `windowMs`. */
  async hit(key: string, limit: number, windowMs: number): Promise<WindowResult> {
    return this.run(key, limit, windowMs, '1');
  }

  /** Whether one more request would be admitted, without counting one. */
  async peek(key: string, limit: number, windowMs: number): Promise<WindowResult> {
    return this.run(key, limit, windowMs, '0');
  }

  private async run(key: string, limit: number, windowMs: number, count: '0' | '1'): Promise<WindowResult> {
    const [allowed, n, retry, reset] = await this.redis.fgwSlidingWindow(
      `rl:${key}`,
      windowMs,
      limit,
      randomBytes(6).toString('hex'),
      count,
    );
    return { allowed: allowed === 1, count: n, retryAfterMs: retry, resetMs: reset };
  }
}
