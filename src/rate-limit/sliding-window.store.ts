import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { RedisConnectionFactory } from '../redis/redis.factory';
import type { WindowResult } from './rate-limit.types';
import { closeRedis } from '../redis/redis.close';

/**
 * Sliding logs in sorted sets, every window of a request in one Lua script: one round trip (by
 * SHA, ioredis' defineCommand), atomic across replicas. Time comes from Redis TIME so replicas with
 * skewed clocks agree. All or nothing: the request is counted in every window only when every
 * window admits it, so a request refused by one window (say the user's) does not spend another's
 * (the key's), and refused requests do not push a window further out for a client that backs off.
 *
 * KEYS: one per window. ARGV: window_ms and limit per key, then a unique member suffix, then '1'
 * to count or '0' to only look. Returns, per key: allowed (this window alone), count, retry_ms,
 * reset_ms.
 */
const SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local n = #KEYS
local member = now .. ':' .. ARGV[2 * n + 1]
local counting = ARGV[2 * n + 2] == '1'
local counts = {}
local everyone = true
for i = 1, n do
  local window = tonumber(ARGV[2 * i - 1])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - window)
  counts[i] = redis.call('ZCARD', KEYS[i])
  if counts[i] >= tonumber(ARGV[2 * i]) then everyone = false end
end
local out = {}
for i = 1, n do
  local window = tonumber(ARGV[2 * i - 1])
  local allowed = 0
  if counts[i] < tonumber(ARGV[2 * i]) then allowed = 1 end
  if everyone and counting then
    redis.call('ZADD', KEYS[i], now, member)
    counts[i] = counts[i] + 1
  end
  redis.call('PEXPIRE', KEYS[i], window)
  local reset = 0
  local oldest = redis.call('ZRANGE', KEYS[i], 0, 0, 'WITHSCORES')
  if oldest[2] then reset = tonumber(oldest[2]) + window - now end
  local retry = 0
  if allowed == 0 then retry = reset end
  out[#out + 1] = allowed
  out[#out + 1] = counts[i]
  out[#out + 1] = retry
  out[#out + 1] = reset
end
return out
`;

/** One window of a check: `limit` requests per `windowMs` under `key`. */
export interface WindowSpec {
  key: string;
  limit: number;
  windowMs: number;
}

type SlidingWindowRedis = Redis & {
  fgwSlidingWindows(numberOfKeys: number, ...keysAndArgs: Array<string | number>): Promise<number[]>;
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
    // Auto-pipelining: the checks of concurrent requests leave in one write (one syscall) instead of one each.
    const redis = factory.create('rate-limit', { commandTimeout: 500, maxRetriesPerRequest: 0, enableAutoPipelining: true });
    // numberOfKeys is given per call: a request has one to three windows.
    redis.defineCommand('fgwSlidingWindows', { lua: SCRIPT });
    // Errors surface through failed commands; an unhandled 'error' event would only add noise.
    redis.on('error', () => undefined);
    this.redis = redis as SlidingWindowRedis;
  }

  async onApplicationShutdown(): Promise<void> {
    await closeRedis(this.redis);
  }

  /** Counts one request against `key` if fewer than `limit` were counted in the last `windowMs`. */
  async hit(key: string, limit: number, windowMs: number): Promise<WindowResult> {
    return (await this.run([{ key, limit, windowMs }], '1'))[0]!;
  }

  /** Whether one more request would be admitted, without counting one. */
  async peek(key: string, limit: number, windowMs: number): Promise<WindowResult> {
    return (await this.run([{ key, limit, windowMs }], '0'))[0]!;
  }

  /** Looks at several windows in one round trip without counting anything; one result per window, in order. */
  async peekAll(windows: readonly WindowSpec[]): Promise<WindowResult[]> {
    return this.run(windows, '0');
  }

  /**
   * Counts one request in every window if every window admits it (one round trip, atomic); one
   * result per window, in order. When any window refuses, nothing is counted anywhere.
   */
  async hitAll(windows: readonly WindowSpec[]): Promise<WindowResult[]> {
    return this.run(windows, '1');
  }

  /**
   * Runs another feature's Lua script on this fail-fast connection (the Flickr budget and breaker: one atomic
   * round trip per upstream call). Defined once per name, then called by SHA; KEYS get the connection's prefix.
   */
  async script(name: string, lua: string, keys: readonly string[], args: ReadonlyArray<string | number>): Promise<unknown> {
    if (!this.scripts.has(name)) {
      this.redis.defineCommand(name, { lua });
      this.scripts.add(name);
    }
    const command = (this.redis as unknown as Record<string, (...a: Array<string | number>) => Promise<unknown>>)[name]!;
    return command.call(this.redis, keys.length, ...keys, ...args);
  }

  private readonly scripts = new Set<string>();

  private async run(windows: readonly WindowSpec[], count: '0' | '1'): Promise<WindowResult[]> {
    const args: Array<string | number> = windows.map((w) => `rl:${w.key}`);
    for (const w of windows) args.push(w.windowMs, w.limit);
    args.push(this.nextMember(), count);
    const flat = await this.redis.fgwSlidingWindows(windows.length, ...args);
    const results: WindowResult[] = [];
    for (let i = 0; i < windows.length; i++) {
      results.push({ allowed: flat[4 * i] === 1, count: flat[4 * i + 1]!, retryAfterMs: flat[4 * i + 2]!, resetMs: flat[4 * i + 3]! });
    }
    return results;
  }

  /**
   * A set member unique across replicas and requests within one millisecond: a per-process random
   * prefix and a counter (a random draw per request showed up in the profile for nothing).
   */
  private nextMember(): string {
    this.sequence = (this.sequence + 1) % Number.MAX_SAFE_INTEGER;
    return `${this.instance}${this.sequence.toString(36)}`;
  }

  private readonly instance = randomBytes(6).toString('hex');
  private sequence = 0;
}
