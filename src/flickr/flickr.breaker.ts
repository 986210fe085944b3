/** The part of the Redis store the breaker uses: one Lua script per call (defined once, then by SHA). */
export interface UpstreamScriptStore {
  script(name: string, lua: string, keys: readonly string[], args: ReadonlyArray<string | number>): Promise<unknown>;
}

/** What the admission (flickr.budget.ts) learnt about the breaker when it let a call go. */
export interface BreakerTicket {
  /** Counted in Redis (false: decided by this process alone while Redis was unreachable). */
  shared: boolean;
  /** This call is the one half-open probe: its outcome closes or reopens the breaker. */
  probe: boolean;
  /** Consecutive 429s recorded so far; 0 means a success has nothing to reset (no round trip). */
  fails: number;
}

/** The breaker's keys for a Flickr app: the state hash and the half-open probe lock. */
export function breakerKeys(appId: string): { state: string; probe: string } {
  const state = appId === DEFAULT_APP_ID ? 'flickr-breaker' : `flickr-breaker@${appId}`;
  return { state, probe: `${state}:probe` };
}

/** The gateway's own Flickr app (FLICKR_CONSUMER_KEY): budget and breaker keys keep their historical names. */
export const DEFAULT_APP_ID = 'default';

/**
 * The breaker check, run at the start of the admission script (flickr.budget.ts) so that a call to Flickr
 * reads the breaker and spends the budget in one round trip. Expects `now` (Redis TIME, ms), KEYS[5] the
 * state hash, KEYS[6] the probe lock, ARGV[7] the probe lock's lifetime; defines `fails`, `probe` and
 * `release_probe()`, or returns {3, retry_ms, fails, 0, 0, 0} (circuit open) straight away.
 */
export const BREAKER_CHECK_LUA = `
local b = redis.call('HMGET', KEYS[5], 'fails', 'open_until')
local fails = tonumber(b[1]) or 0
local open_until = tonumber(b[2])
local probe = 0
if open_until then
  if now < open_until then return {3, open_until - now, fails, 0, 0, 0} end
  -- Half-open: the first caller to take the lock is the probe; the others wait for its outcome.
  if redis.call('SET', KEYS[6], now, 'NX', 'PX', tonumber(ARGV[7])) then
    probe = 1
  else
    local ttl = redis.call('PTTL', KEYS[6])
    if ttl < 1000 then ttl = 1000 end
    return {3, ttl, fails, 0, 0, 0}
  end
end
local function release_probe()
  if probe == 1 then redis.call('DEL', KEYS[6]) end
end
`;

/**
 * Records an outcome. KEYS: state hash, probe lock. ARGV: '429' or 'ok', threshold, open_ms, probe ('1'/'0').
 * Returns {open (1/0), ms until the probe}. A 429 counts; the threshold-th consecutive one opens the breaker
 * (or a probe's 429 reopens it). Anything else resets the count unless the breaker is open or half-open, which
 * only a probe closes (a late answer to a call sent before another replica opened it must not close it).
 */
const RECORD_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local threshold = tonumber(ARGV[2])
local open_ms = tonumber(ARGV[3])
local open_until = tonumber(redis.call('HGET', KEYS[1], 'open_until'))
if ARGV[1] == '429' then
  local fails = redis.call('HINCRBY', KEYS[1], 'fails', 1)
  if ARGV[4] == '1' or (fails >= threshold and not open_until) then
    open_until = now + open_ms
    redis.call('HSET', KEYS[1], 'open_until', open_until)
    redis.call('DEL', KEYS[2])
  end
  -- Outlives the open period, so the half-open state is not forgotten; an idle count ages out with it.
  redis.call('PEXPIRE', KEYS[1], 2 * open_ms + 60000)
  if open_until and now < open_until then return {1, open_until - now} end
  return {0, 0}
end
if ARGV[4] == '1' then
  redis.call('DEL', KEYS[1], KEYS[2])
elseif not open_until then
  redis.call('HDEL', KEYS[1], 'fails')
end
return {0, 0}
`;

/** An outcome as the breaker sees it: only HTTP 429 says Flickr is throttling us. */
export type BreakerOutcome = 'rate-limited' | 'other';

interface LocalState {
  consecutive: number;
  /** When the breaker opened (ms), or undefined while closed. */
  openedAt?: number;
  /** A half-open probe is in flight from this process. */
  probing: boolean;
}

/**
 * The circuit breaker in front of each Flickr app, shared by every replica: its state (consecutive 429s, and
 * "open until", in Redis time) lives in Redis, so when one replica sees FLICKR_BREAKER_THRESHOLD consecutive
 * 429s the whole fleet stops calling that app until the open period ends; then one probe (a SET NX lock, won by
 * one caller of one replica) closes it or reopens it. The check is part of the budget's admission script; this
 * class records outcomes. Only 429s count: a 500 or a `stat: fail` says nothing about Flickr throttling us.
 *
 * While Redis is unreachable each process falls back to its own breaker per app (the same rule, in memory),
 * which also follows every outcome this process sees so it is warm when it is needed.
 *
 * No opossum: its rule is an error *rate* over its own rolling window with its own timers, ours is "N
 * consecutive 429s, shared"; with the threshold, timeout and timers disabled it only held a per-process
 * open/closed flag, and that flag now lives in Redis (the local fallback is a counter and a timestamp).
 */
export class FlickrBreaker {
  private readonly local = new Map<string, LocalState>();

  constructor(
    private readonly store: UpstreamScriptStore,
    private readonly threshold: number,
    private readonly openMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * This process's own verdict, used only while Redis cannot answer: open (refuse), half-open (this call is the
   * probe) or closed.
   */
  checkLocally(appId: string): { allowed: true; probe: boolean } | { allowed: false; retryAfterS: number } {
    const state = this.local.get(appId);
    if (state?.openedAt === undefined) return { allowed: true, probe: false };
    const due = state.openedAt + this.openMs;
    if (this.now() < due) return { allowed: false, retryAfterS: Math.max(1, Math.ceil((due - this.now()) / 1000)) };
    if (state.probing) return { allowed: false, retryAfterS: 1 };
    state.probing = true;
    return { allowed: true, probe: true };
  }

  /**
   * Records the outcome of a call that was let through. Touches Redis only when it changes something: a 429,
   * the probe's outcome, or the first success after 429s (the common success costs no round trip). Returns,
   * for a 429, the seconds until the breaker lets a probe through when it is open (the Retry-After to give).
   */
  async record(appId: string, outcome: BreakerOutcome, ticket: BreakerTicket): Promise<{ openForS?: number }> {
    const local = this.recordLocally(appId, outcome, ticket);
    if (!ticket.shared) return local;
    if (outcome === 'other' && !ticket.probe && ticket.fails === 0) return {};
    const keys = breakerKeys(appId);
    try {
      const [open, retryMs] = (await this.store.script('fgwFlickrBreakerRecord', RECORD_LUA, [keys.state, keys.probe], [
        outcome === 'rate-limited' ? '429' : 'ok',
        this.threshold,
        this.openMs,
        ticket.probe ? '1' : '0',
      ])) as [number, number];
      return open === 1 ? { openForS: Math.max(1, Math.ceil(retryMs / 1000)) } : {};
    } catch {
      // Redis went away between the admission and the answer: this process's breaker has the outcome.
      return local;
    }
  }

  /**
   * The local state machine: the same rule as the shared one, for this process only. An outcome of a call the
   * shared breaker let through is authoritative for the fleet, so a success resets the local state as well.
   */
  private recordLocally(appId: string, outcome: BreakerOutcome, ticket: BreakerTicket): { openForS?: number } {
    const state = this.local.get(appId) ?? { consecutive: 0, probing: false };
    this.local.set(appId, state);
    const probe = ticket.probe && !ticket.shared;
    if (probe) state.probing = false;
    if (outcome === 'other') {
      // Locally only the probe closes an open breaker; a late success of an earlier call does not.
      if (state.openedAt === undefined || probe || ticket.shared) this.local.delete(appId);
      return {};
    }
    state.consecutive += 1;
    const halfOpen = state.openedAt !== undefined && this.now() >= state.openedAt + this.openMs;
    if ((state.openedAt === undefined && state.consecutive >= this.threshold) || (probe && halfOpen)) state.openedAt = this.now();
    if (state.openedAt === undefined) return {};
    const left = state.openedAt + this.openMs - this.now();
    return left > 0 ? { openForS: Math.max(1, Math.ceil(left / 1000)) } : {};
  }

  /** Gives back a local probe that was not sent after all (the budget refused the call). */
  releaseLocalProbe(appId: string): void {
    const state = this.local.get(appId);
    if (state) state.probing = false;
  }

  /** This process's own view (for diagnostics and tests); the fleet's state is in Redis. */
  localState(appId: string): 'closed' | 'open' | 'half-open' {
    const openedAt = this.local.get(appId)?.openedAt;
    if (openedAt === undefined) return 'closed';
    return this.now() < openedAt + this.openMs ? 'open' : 'half-open';
  }
}
