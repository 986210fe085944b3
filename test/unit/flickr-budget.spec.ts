import { FlickrBreaker, type UpstreamScriptStore } from '../../src/flickr/flickr.breaker';
import { BUDGET_KEY, FlickrBudget } from '../../src/flickr/flickr.budget';

/** The Redis store as the budget sees it: an answer per script call, or Redis failing. */
class ScriptedStore implements UpstreamScriptStore {
  readonly calls: Array<{ name: string; keys: readonly string[]; args: ReadonlyArray<string | number> }> = [];
  next: number[] | Error = [1, 0, 0, 0, 1, 0];

  async script(name: string, _lua: string, keys: readonly string[], args: ReadonlyArray<string | number>): Promise<unknown> {
    this.calls.push({ name, keys, args });
    if (this.next instanceof Error) throw this.next;
    return this.next;
  }
}

describe('FlickrBudget', () => {
  const WINDOW = 60_000;
  let now: number;
  let store: ScriptedStore;
  let breaker: FlickrBreaker;
  const budget = (fallbackLimit: number, limit = 100) => {
    breaker = new FlickrBreaker(store, 3, 10_000, () => now);
    return new FlickrBudget(store, breaker, { limit, windowMs: WINDOW, fallbackLimit, reservePercent: 5, probeLockMs: 2000 }, () => now);
  };

  beforeEach(() => {
    now = 1_000_000;
    store = new ScriptedStore();
  });

  it("admits in one script call naming the app's window, the caller's window and the breaker, with the app's size", async () => {
    const b = budget(2);
    expect(await b.take({ id: 'default' }, { clientId: 'c1', weight: 2 })).toEqual({ allowed: true, shared: true, probe: false, fails: 0 });
    expect(store.calls).toHaveLength(1);
    expect(store.calls[0]!.keys).toEqual([
      BUDGET_KEY,
      `${BUDGET_KEY}:client:c1`,
      `${BUDGET_KEY}:active`,
      `${BUDGET_KEY}:weights`,
      'flickr-breaker',
      'flickr-breaker:probe',
    ]);
    // window, limit, reserve (5 % of 100), client, weight, member, probe lock
    expect(store.calls[0]!.args.slice(0, 5)).toEqual([WINDOW, 100, 5, 'c1', 2]);
    expect(store.calls[0]!.args[6]).toBe(2000);

    await b.take({ id: 'app-7', budgetPerWindow: 40 });
    expect(store.calls[1]!.keys[0]).toBe('rl:flickr-budget@app-7');
    expect(store.calls[1]!.keys[4]).toBe('flickr-breaker@app-7');
    expect(store.calls[1]!.args.slice(0, 5)).toEqual([WINDOW, 40, 2, '', 1]);
    // Every call is a distinct member of the window.
    expect(store.calls[0]!.args[5]).not.toBe(store.calls[1]!.args[5]);
    // A weight that would make every share 0 (or NaN) counts as 1.
    for (const weight of [0, -2, Number.NaN]) await b.take({ id: 'default' }, { clientId: 'c2', weight });
    expect(store.calls.slice(2).map((c) => c.args[4])).toEqual([1, 1, 1]);
  });

  it("maps the script's verdicts: budget spent, over the fair share, circuit open, and a half-open probe", async () => {
    const b = budget(2);
    store.next = [0, 1500, 0, 0, 0, 0];
    expect(await b.take({ id: 'default' }, { clientId: 'c1' })).toEqual({ allowed: false, shared: true, reason: 'budget-exhausted', retryAfterS: 2 });
    store.next = [2, 30_001, 0, 0, 12, 9500];
    expect(await b.take({ id: 'default' }, { clientId: 'c1' })).toEqual({ allowed: false, shared: true, reason: 'fair-share', retryAfterS: 31, used: 12, share: 9 });
    store.next = [3, 250, 3, 0, 0, 0];
    expect(await b.take({ id: 'default' }, { clientId: 'c1' })).toEqual({ allowed: false, shared: true, reason: 'circuit-open', retryAfterS: 1 });
    store.next = [1, 0, 3, 1, 1, 0];
    expect(await b.take({ id: 'default' }, { clientId: 'c1' })).toEqual({ allowed: true, shared: true, probe: true, fails: 3 });
  });

  it('while Redis is unreachable, lets this process make its own share of calls per window, then refuses with Retry-After', async () => {
    const b = budget(3);
    store.next = new Error("Stream isn't writeable and enableOfflineQueue options is false");
    for (let i = 0; i < 3; i++) {
      expect(await b.take({ id: 'default' })).toEqual({ allowed: true, shared: false, probe: false, fails: 0 });
      now += 1000;
    }
    // The oldest local call (at 1_000_000) frees its slot at 1_060_000; it is now 1_003_000.
    expect(await b.take({ id: 'default' })).toEqual({ allowed: false, shared: false, reason: 'budget-exhausted', retryAfterS: 57 });
    now = 1_000_000 + WINDOW;
    expect(await b.take({ id: 'default' })).toMatchObject({ allowed: true, shared: false });
    expect(await b.take({ id: 'default' })).toEqual({ allowed: false, shared: false, reason: 'budget-exhausted', retryAfterS: 1 });
  });

  it("scales the fallback share to the app's budget, and counts each app apart", async () => {
    const b = budget(10, 100);
    store.next = new Error('Command timed out');
    const small = { id: 'small', budgetPerWindow: 30 }; // 10 × 30 / 100 = 3 local calls
    for (let i = 0; i < 3; i++) expect(await b.take(small)).toMatchObject({ allowed: true });
    expect(await b.take(small)).toMatchObject({ allowed: false, reason: 'budget-exhausted' });
    expect(await b.take({ id: 'default' })).toMatchObject({ allowed: true, shared: false });
  });

  it("while Redis is unreachable this process's breaker decides: open after the threshold, then one probe", async () => {
    const b = budget(100);
    store.next = new Error('Connection is closed.');
    for (let i = 0; i < 3; i++) {
      const admission = await b.take({ id: 'default' });
      expect(admission).toMatchObject({ allowed: true, shared: false });
      if (!admission.allowed) throw new Error('refused');
      await breaker.record('default', 'rate-limited', admission);
    }
    expect(await b.take({ id: 'default' })).toEqual({ allowed: false, shared: false, reason: 'circuit-open', retryAfterS: 10 });
    // Another app's breaker is not affected.
    expect(await b.take({ id: 'other' })).toMatchObject({ allowed: true });
    now += 10_000;
    const probe = await b.take({ id: 'default' });
    expect(probe).toMatchObject({ allowed: true, probe: true });
    expect(await b.take({ id: 'default' })).toMatchObject({ allowed: false, reason: 'circuit-open' });
    if (!probe.allowed) throw new Error('refused');
    await breaker.record('default', 'other', probe);
    expect(await b.take({ id: 'default' })).toMatchObject({ allowed: true, probe: false });
  });

  it('goes back to the shared admission as soon as Redis answers again', async () => {
    const b = budget(1);
    store.next = new Error('Command timed out');
    expect(await b.take({ id: 'default' })).toMatchObject({ allowed: true, shared: false });
    expect(await b.take({ id: 'default' })).toMatchObject({ allowed: false, shared: false });
    store.next = [1, 0, 0, 0, 0, 0];
    expect(await b.take({ id: 'default' })).toMatchObject({ allowed: true, shared: true });
  });

  it('a fallback share of 0 refuses every call while Redis is down', async () => {
    store.next = new Error('Connection is closed.');
    expect(await budget(0).take({ id: 'default' })).toMatchObject({ allowed: false, shared: false, reason: 'budget-exhausted' });
  });

  it('keeps at least one call shareable however large the reserve', () => {
    breaker = new FlickrBreaker(store, 3, 1000);
    const b = new FlickrBudget(store, breaker, { limit: 1, windowMs: WINDOW, fallbackLimit: 0, reservePercent: 50, probeLockMs: 1 });
    expect(b.sizeOf({ id: 'default' })).toEqual({ limit: 1, reserve: 0 });
    expect(b.sizeOf({ id: 'x', budgetPerWindow: 3500 })).toEqual({ limit: 3500, reserve: 1750 });
  });
});
