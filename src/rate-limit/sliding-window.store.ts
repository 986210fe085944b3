import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { RedisConnectionFactory } from '../redis/redis.factory';
import type { WindowResult } from './rate-limit.types';
import { closeRedis } from '../redis/redis.close';

/**
 * Sliding logs, every window of a request in one Lua script: one round trip (by SHA, ioredis'
 * defineCommand), atomic across replicas. Time comes from Redis TIME so replicas with skewed clocks
 * agree. All or nothing: the request is counted in every window only when every window admits it,
 * so a request refused by one window (say the user's) does not spend another's (the key's), and
 * refused requests do not push a window further out for a client that backs off.
 *
 * Each window's log is a Redis list of the admitted requests' times, newest first. Admitted times
 * only ever grow (one Redis clock), so the list is sorted: the stale entries are at its tail and
 * leave in one LTRIM, the count is LLEN and the oldest counted request is the tail. (Should Redis's
 * clock step back, a newer entry can sit behind an older one; that older one then stays counted
 * until it reaches the tail: the error refuses early, it never admits more than the limit.) The same exact log a
 * sorted set holds, for less: measured on this machine, a request with a key and a user window cost
 * Redis ≈ 37-40 µs of CPU as sorted sets (skiplist node and dict entry allocated and freed per entry,
 * plus a member made unique per request) and ≈ 28 µs as lists; an entry is a few bytes of a listpack
 * instead of a skiplist node (docs/rate-limits.md, "Cost"). Lists live under their own prefix
 * (`rlog:`), so a sorted set of an earlier version under `rl:` is never read as a list (it expires
 * with its window).
 *
 * KEYS: one per window. ARGV: window_ms and limit per key, then '1' to count or '0' to only look.
 * Returns, per key: allowed (this window alone), count, retry_ms, reset_ms.
 */
const SCRIPT = `
-- Drops the stale entries at the tail of a log; returns the count left and the oldest counted time.
-- How many are stale is found by doubling then halving with LINDEX, and they leave in one LTRIM: after
-- a quiet spell a whole window's worth (a user's hourly 3,500) can be stale, and an RPOP each would hold
-- Redis for milliseconds.
local function trim(key, stale)
  local oldest = tonumber(redis.call('LINDEX', key, -1))
  if not oldest then return 0, nil end
  local len = redis.call('LLEN', key)
  if oldest > stale then return len, oldest end
  -- lo: that many entries from the tail are stale; hi: the entry that far from the tail is fresh, or hi > len.
  local lo, hi, fresh = 1, 2, nil
  while hi <= len do
    local v = tonumber(redis.call('LINDEX', key, -hi))
    if v > stale then fresh = v break end
    lo, hi = hi, hi * 2
  end
  if hi > len then hi = len + 1 end
  while hi - lo > 1 do
    local mid = math.floor((lo + hi) / 2)
    local v = tonumber(redis.call('LINDEX', key, -mid))
    if v > stale then hi, fresh = mid, v else lo = mid end
  end
  if lo >= len then
    redis.call('DEL', key)
    return 0, nil
  end
  redis.call('LTRIM', key, 0, -(lo + 1))
  return len - lo, fresh
end

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local n = #KEYS
local counting = ARGV[2 * n + 1] == '1'
local counts, oldest = {}, {}
local everyone = true
for i = 1, n do
  counts[i], oldest[i] = trim(KEYS[i], now - tonumber(ARGV[2 * i - 1]))
  if counts[i] >= tonumber(ARGV[2 * i]) then everyone = false end
end
local out = {}
for i = 1, n do
  local window = tonumber(ARGV[2 * i - 1])
  local allowed = 0
  if counts[i] < tonumber(ARGV[2 * i]) then allowed = 1 end
  if everyone and counting then
    counts[i] = redis.call('LPUSH', KEYS[i], now)
    -- The newest entry is the last to age out: the key lives one window past it. Nothing changes
    -- when nothing is counted, so the expiry set with the newest entry still holds.
    redis.call('PEXPIRE', KEYS[i], window)
    if not oldest[i] then oldest[i] = now end
  end
  local reset = 0
  if oldest[i] then reset = oldest[i] + window - now end
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
    const args: Array<string | number> = windows.map((w) => `rlog:${w.key}`);
    for (const w of windows) args.push(w.windowMs, w.limit);
    args.push(count);
    const flat = await this.redis.fgwSlidingWindows(windows.length, ...args);
    const results: WindowResult[] = [];
    for (let i = 0; i < windows.length; i++) {
      results.push({ allowed: flat[4 * i] === 1, count: flat[4 * i + 1]!, retryAfterMs: flat[4 * i + 2]!, resetMs: flat[4 * i + 3]! });
    }
    return results;
  }
}
