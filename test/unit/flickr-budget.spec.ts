import { BUDGET_KEY, type BudgetWindowStore, FlickrBudget } from '../../src/flickr/flickr.budget';
import type { WindowResult } from '../../src/rate-limit/rate-limit.types';

/** The shared window as the budget sees it: an answer per call, or Redis failing. */
class ScriptedStore implements BudgetWindowStore {
  readonly calls: Array<[string, number, number]> = [];
  next: WindowResult | Error = { allowed: true, count: 1, retryAfterMs: 0, resetMs: 1000 };

  async hit(key: string, limit: number, windowMs: number): Promise<WindowResult> {
    this.calls.push([key, limit, windowMs]);
    if (this.next instanceof Error) throw this.next;
    return this.next;
  }
}

describe('FlickrBudget', () => {
  const WINDOW = 60_000;
  let now: number;
  let store: ScriptedStore;
  const budget = (fallbackLimit: number) => new FlickrBudget(store, 100, WINDOW, fallbackLimit, () => now);

  beforeEach(() => {
    now = 1_000_000;
    store = new ScriptedStore();
  });

  it('counts every call in the shared window while Redis answers, and follows its verdict', async () => {
    const b = budget(2);
    expect(await b.take()).toEqual({ allowed: true, shared: true });
    expect(store.calls).toEqual([[BUDGET_KEY, 100, WINDOW]]);
    store.next = { allowed: false, count: 100, retryAfterMs: 1500, resetMs: 60_000 };
    expect(await b.take()).toEqual({ allowed: false, shared: true, retryAfterS: 2 });
  });

  it('while Redis is unreachable, lets this process make its own share of calls per window, then refuses with Retry-After', async () => {
    const b = budget(3);
    store.next = new Error("Stream isn't writeable and enableOfflineQueue options is false");
    for (let i = 0; i < 3; i++) {
      expect(await b.take()).toEqual({ allowed: true, shared: false });
      now += 1000;
    }
    // The oldest local call (at 1_000_000) frees its slot at 1_060_000; it is now 1_003_000.
    expect(await b.take()).toEqual({ allowed: false, shared: false, retryAfterS: 57 });
    now = 1_000_000 + WINDOW;
    expect(await b.take()).toEqual({ allowed: true, shared: false });
    expect(await b.take()).toEqual({ allowed: false, shared: false, retryAfterS: 1 });
  });

  it('goes back to the shared window as soon as Redis answers again', async () => {
    const b = budget(1);
    store.next = new Error('Command timed out');
    expect(await b.take()).toMatchObject({ allowed: true, shared: false });
    expect(await b.take()).toMatchObject({ allowed: false, shared: false });
    store.next = { allowed: true, count: 5, retryAfterMs: 0, resetMs: 1000 };
    expect(await b.take()).toEqual({ allowed: true, shared: true });
  });

  it('a fallback share of 0 refuses every call while Redis is down', async () => {
    store.next = new Error('Connection is closed.');
    expect(await budget(0).take()).toMatchObject({ allowed: false, shared: false });
  });
});
