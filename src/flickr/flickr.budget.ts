import { ProblemException } from '../common/problem/problem.exception';
import { BREAKER_CHECK_LUA, type BreakerTicket, DEFAULT_APP_ID, type FlickrBreaker, type UpstreamScriptStore, breakerKeys } from './flickr.breaker';

/** Who a call to Flickr is made for: its share of the app's budget is counted per client, weighted. */
export interface BudgetCaller {
  clientId: string;
  /** Relative weight of the client's share (default 1): a client of weight 2 gets twice the share of one of weight 1. */
  weight?: number;
}

/** Which Flickr app (consumer key) a call is signed with, and that app's budget per window. */
export interface BudgetApp {
  id: string;
  /** Calls per FLICKR_BUDGET_WINDOW_MS for this app, all replicas together (default FLICKR_BUDGET_LIMIT). */
  budgetPerWindow?: number;
}

/** Why a call was not sent. */
export type RefusalReason = 'circuit-open' | 'budget-exhausted' | 'fair-share';

/** The admission verdict for one upstream call: go (with what the breaker must know afterwards), or a refusal. */
export type Admission =
  | ({ allowed: true } & BreakerTicket)
  | { allowed: false; shared: boolean; reason: RefusalReason; retryAfterS: number; used?: number; share?: number };

/** The app window's key: the gateway's own app keeps the key of the single budget it replaced (rolling deploys agree). */
export function budgetKey(appId: string): string {
  return appId === DEFAULT_APP_ID ? 'rl:flickr-budget' : `rl:flickr-budget@${appId}`;
}

/** A caller's weight: a positive number, 1 unless given (a weight of 0 would make every share 0). */
function weightOf(caller?: BudgetCaller): number {
  const weight = caller?.weight;
  return weight !== undefined && Number.isFinite(weight) && weight > 0 ? weight : 1;
}

/** Legacy name of the gateway app's window key. */
export const BUDGET_KEY = budgetKey(DEFAULT_APP_ID);

/**
 * One atomic admission per upstream call (one round trip): the breaker (BREAKER_CHECK_LUA), then the app's
 * sliding window, then the caller's weighted fair share of it. Time is Redis TIME (replicas' clocks may differ).
 *
 * KEYS: 1 app window (sorted set of calls), 2 the caller's window (same members; other clients' windows are
 * KEYS[1]..':client:'..id), 3 active clients (sorted set, score = last attempt), 4 their weights (hash),
 * 5 breaker state, 6 probe lock.
 * ARGV: 1 window_ms, 2 limit, 3 reserve, 4 client id ('' = no caller: counted in the app window only),
 * 5 weight, 6 unique member suffix, 7 probe lock ms.
 * Returns {code, retry_ms, fails, probe, used, share·1000}; code 1 admitted, 0 app budget spent,
 * 2 over the caller's share, 3 circuit open.
 *
 * Rule (reasoning and worst cases in docs/flickr.md "Fair share"): a client is active when it asked within the
 * window. share = (limit - reserve)·weight / Σ active weights. A call within the caller's share (used < share)
 * goes while the app window has room. A call beyond it borrows, and goes only if the app window keeps room for
 * every other active client's unused share and for the reserve (kept for clients that become active).
 */
const ADMIT_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
${BREAKER_CHECK_LUA}
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local reserve = tonumber(ARGV[3])
local client = ARGV[4]
local since = now - window
-- ms until the (index+1)-th oldest call of a window ages out
local function age_out(key, index)
  local r = redis.call('ZRANGE', key, index, index, 'WITHSCORES')
  if r[2] then
    local ms = tonumber(r[2]) + window - now
    if ms < 1 then ms = 1 end
    return ms
  end
  return window
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', since)
local used = redis.call('ZCARD', KEYS[1])
if used >= limit then
  release_probe()
  return {0, age_out(KEYS[1], used - limit), fails, 0, 0, 0}
end
local mine = 0
local share = 0
if client ~= '' then
  local gone = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', since)
  if #gone > 0 then
    redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', since)
    redis.call('HDEL', KEYS[4], unpack(gone))
  end
  local weight = tonumber(ARGV[5])
  redis.call('ZADD', KEYS[3], now, client)
  redis.call('HSET', KEYS[4], client, weight)
  redis.call('PEXPIRE', KEYS[3], window)
  redis.call('PEXPIRE', KEYS[4], window)
  local active = redis.call('ZRANGE', KEYS[3], 0, -1)
  local weights = redis.call('HMGET', KEYS[4], unpack(active))
  local total = 0
  for i = 1, #active do total = total + (tonumber(weights[i]) or 1) end
  local usable = limit - reserve
  share = usable * weight / total
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', since)
  mine = redis.call('ZCARD', KEYS[2])
  if mine >= share then
    -- Borrowing: only from what no other active client is owed, and never the reserve.
    local owed = 0
    for i = 1, #active do
      if active[i] ~= client then
        local key = KEYS[1] .. ':client:' .. active[i]
        redis.call('ZREMRANGEBYSCORE', key, '-inf', since)
        local theirs = redis.call('ZCARD', key)
        local their_share = usable * (tonumber(weights[i]) or 1) / total
        if their_share > theirs then owed = owed + their_share - theirs end
      end
    end
    if used + 1 + owed + reserve > limit then
      release_probe()
      -- Back within its share once enough of its own calls aged out (if the active clients stay the same).
      return {2, age_out(KEYS[2], mine - math.ceil(share)), fails, 0, mine, math.floor(share * 1000)}
    end
  end
end
local member = now .. ':' .. ARGV[6]
redis.call('ZADD', KEYS[1], now, member)
redis.call('PEXPIRE', KEYS[1], window)
if client ~= '' then
  redis.call('ZADD', KEYS[2], now, member)
  redis.call('PEXPIRE', KEYS[2], window)
  mine = mine + 1
end
return {1, 0, fails, probe, mine, math.floor(share * 1000)}
`;

/**
 * The admission of every call to Flickr, per Flickr app: the shared circuit breaker, the app's budget
 * (`budgetPerWindow`, default FLICKR_BUDGET_LIMIT, per FLICKR_BUDGET_WINDOW_MS, all replicas together) and each
 * client's weighted fair share of it, decided in one Lua script (one round trip, atomic across replicas).
 *
 * When Redis cannot answer (down, or no answer within the limiter connection's 500 ms), calls are not refused
 * for that alone (a cache or limiter outage must not stop Flickr reads): this process's breaker decides, and its
 * calls are counted in a window of its own, capped at `fallbackLimit` scaled to the app's budget. Operators size
 * it as the shared limit divided by the processes that call Flickr. There is no fair share in that mode (no
 * process sees the others' clients); a fallback limit of 0 refuses every call while Redis is down.
 */
export class FlickrBudget {
  /** Times of the calls counted locally per app (only while Redis is unreachable); oldest first. */
  private readonly local = new Map<string, number[]>();
  private readonly instance = Math.random().toString(36).slice(2, 10);
  private sequence = 0;

  constructor(
    private readonly store: UpstreamScriptStore,
    private readonly breaker: FlickrBreaker,
    private readonly settings: {
      limit: number;
      windowMs: number;
      fallbackLimit: number;
      /** Percent of each app's budget no client may borrow: kept for clients that become active. */
      reservePercent: number;
      /** Lifetime of the half-open probe's lock: a probe that never reports frees it after this. */
      probeLockMs: number;
    },
    private readonly now: () => number = Date.now,
  ) {}

  /** The app's budget per window and the part of it kept in reserve. */
  sizeOf(app: BudgetApp): { limit: number; reserve: number } {
    const limit = app.budgetPerWindow ?? this.settings.limit;
    // Never the whole budget: at least one call stays shareable.
    const reserve = Math.min(limit - 1, Math.ceil((limit * this.settings.reservePercent) / 100));
    return { limit, reserve };
  }

  /** Admits one call to `app` for `caller` (counting it) or says why not. Never throws. */
  async take(app: BudgetApp, caller?: BudgetCaller): Promise<Admission> {
    const { limit, reserve } = this.sizeOf(app);
    const appKey = budgetKey(app.id);
    const breaker = breakerKeys(app.id);
    const clientId = caller?.clientId ?? '';
    let answer: number[];
    try {
      answer = (await this.store.script(
        'fgwFlickrAdmit',
        ADMIT_LUA,
        [appKey, `${appKey}:client:${clientId}`, `${appKey}:active`, `${appKey}:weights`, breaker.state, breaker.probe],
        [this.settings.windowMs, limit, reserve, clientId, weightOf(caller), this.nextMember(), this.settings.probeLockMs],
      )) as number[];
    } catch {
      return this.takeLocally(app.id, limit);
    }
    const [code, retryMs, fails, probe, used, shareMilli] = answer as [number, number, number, number, number, number];
    if (code === 1) return { allowed: true, shared: true, probe: probe === 1, fails };
    const retryAfterS = Math.max(1, Math.ceil(retryMs / 1000));
    if (code === 3) return { allowed: false, shared: true, reason: 'circuit-open', retryAfterS };
    if (code === 2) return { allowed: false, shared: true, reason: 'fair-share', retryAfterS, used, share: Math.floor(shareMilli / 1000) };
    return { allowed: false, shared: true, reason: 'budget-exhausted', retryAfterS };
  }

  private takeLocally(appId: string, limit: number): Admission {
    const breaker = this.breaker.checkLocally(appId);
    if (!breaker.allowed) return { allowed: false, shared: false, reason: 'circuit-open', retryAfterS: breaker.retryAfterS };
    // The fallback share scales with the app's budget (FLICKR_BUDGET_FALLBACK_LIMIT is sized for FLICKR_BUDGET_LIMIT).
    const fallbackLimit = Math.floor((this.settings.fallbackLimit * limit) / this.settings.limit);
    const now = this.now();
    const calls = this.local.get(appId) ?? [];
    this.local.set(appId, calls);
    while (calls.length > 0 && calls[0]! <= now - this.settings.windowMs) calls.shift();
    if (calls.length < fallbackLimit) {
      calls.push(now);
      return { allowed: true, shared: false, probe: breaker.probe, fails: 0 };
    }
    if (breaker.probe) this.breaker.releaseLocalProbe(appId);
    const oldest = calls[0] ?? now;
    return { allowed: false, shared: false, reason: 'budget-exhausted', retryAfterS: Math.max(1, Math.ceil((oldest + this.settings.windowMs - now) / 1000)) };
  }

  /** A set member unique across replicas and calls within one millisecond. */
  private nextMember(): string {
    this.sequence = (this.sequence + 1) % Number.MAX_SAFE_INTEGER;
    return `${this.instance}${this.sequence.toString(36)}`;
  }
}

/**
 * 429: this client has used its fair share of a Flickr app's budget that other clients are waiting for. Nothing
 * was sent to Flickr; the other clients keep being served. Retry-After: when enough of the client's own calls
 * have left the window for it to be back within its share.
 */
export class FlickrFairShareExceededProblem extends ProblemException {
  constructor(retryAfterS: number, used: number, share: number, windowS: number) {
    super(
      'flickr-fair-share-exceeded',
      'Flickr Fair Share Exceeded',
      429,
      `This client made ${used} of the ${windowS}-second window's Flickr calls, its fair share is ${share} while other clients share the same Flickr app; retry after ${retryAfterS} s.`,
      { retryAfterSeconds: retryAfterS, used, share, windowSeconds: windowS },
      { 'retry-after': String(retryAfterS) },
    );
  }
}
