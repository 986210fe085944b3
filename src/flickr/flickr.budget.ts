import type { WindowResult } from '../rate-limit/rate-limit.types';

/** The part of the shared sliding-window store the budget uses (one atomic check-and-count). */
export interface BudgetWindowStore {
  hit(key: string, limit: number, windowMs: number): Promise<WindowResult>;
}

/** A budget verdict: go ahead, or refuse with a Retry-After; `shared` says which window decided. */
export type BudgetVerdict = { allowed: true; shared: boolean } | { allowed: false; shared: boolean; retryAfterS: number };

export const BUDGET_KEY = 'flickr-budget';

/**
 * The budget of Flickr calls for our consumer key. Normally one sliding window in Redis shared by every
 * process (FLICKR_BUDGET_LIMIT per FLICKR_BUDGET_WINDOW_MS). When Redis cannot count (down, or no answer
 * within the limiter connection's 500 ms), calls are not refused for that alone (a cache or limiter outage
 * must not stop Flickr reads) but counted in a window of this process only, capped at `fallbackLimit`:
 * operators size it as the shared limit divided by the number of processes that call Flickr, so all of them
 * together stay within Flickr's allowance for as long as Redis is away. A fallback limit of 0 refuses every
 * call while Redis is down.
 */
export class FlickrBudget {
  /** Times of the calls counted locally (only while Redis is unreachable); oldest first. */
  private readonly local: number[] = [];

  constructor(
    private readonly store: BudgetWindowStore,
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly fallbackLimit: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one call if the budget allows it. Never throws. */
  async take(): Promise<BudgetVerdict> {
    let shared: WindowResult;
    try {
      shared = await this.store.hit(BUDGET_KEY, this.limit, this.windowMs);
    } catch {
      return this.takeLocal();
    }
    return shared.allowed ? { allowed: true, shared: true } : { allowed: false, shared: true, retryAfterS: Math.max(1, Math.ceil(shared.retryAfterMs / 1000)) };
  }

  private takeLocal(): BudgetVerdict {
    const now = this.now();
    while (this.local.length > 0 && this.local[0] <= now - this.windowMs) this.local.shift();
    if (this.local.length < this.fallbackLimit) {
      this.local.push(now);
      return { allowed: true, shared: false };
    }
    const oldest = this.local[0] ?? now;
    return { allowed: false, shared: false, retryAfterS: Math.max(1, Math.ceil((oldest + this.windowMs - now) / 1000)) };
  }
}
