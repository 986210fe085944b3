import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { loadSlice } from '../../src/config/env.validation';
import { FlickrBreaker } from '../../src/flickr/flickr.breaker';
import { type Admission, FlickrBudget } from '../../src/flickr/flickr.budget';
import { RedisConfig } from '../../src/redis/redis.config';
import { RedisConnectionFactory } from '../../src/redis/redis.factory';
import { SlidingWindowStore } from '../../src/rate-limit/sliding-window.store';

/**
 * The admission script (breaker + app budget + weighted fair share) against the real Redis: the numbers of
 * docs/flickr.md "Fair share", and the shared breaker seen by two "replicas" (two budget/breaker pairs on
 * two connections).
 */
describe('Flickr admission script (real Redis)', () => {
  const WINDOW = 60_000;
  let factory: RedisConnectionFactory;
  let redis: Redis;
  const stores: SlidingWindowStore[] = [];

  beforeAll(() => {
    factory = new RedisConnectionFactory(loadSlice(RedisConfig, { ...process.env, REDIS_KEY_PREFIX: `${process.env.REDIS_KEY_PREFIX}${randomBytes(3).toString('hex')}:` }));
    redis = factory.create('test');
  });
  afterAll(async () => {
    await Promise.all(stores.map((s) => s.onApplicationShutdown()));
    redis.disconnect();
  });

  /** One replica's admission: its own connection, the same Redis keys. */
  function replica(options: { limit?: number; reservePercent?: number; threshold?: number; openMs?: number } = {}) {
    const store = new SlidingWindowStore(factory);
    stores.push(store);
    const breaker = new FlickrBreaker(store, options.threshold ?? 3, options.openMs ?? 60_000);
    const budget = new FlickrBudget(store, breaker, {
      limit: options.limit ?? 20,
      windowMs: WINDOW,
      fallbackLimit: 0,
      reservePercent: options.reservePercent ?? 5,
      probeLockMs: 5000,
    });
    return { budget, breaker };
  }

  const newApp = () => ({ id: `app-${randomBytes(3).toString('hex')}` });
  const count = (admissions: Admission[]) => admissions.filter((a) => a.allowed).length;
  async function take(budget: FlickrBudget, app: { id: string }, clientId: string, n: number, weight?: number): Promise<Admission[]> {
    const out: Admission[] = [];
    for (let i = 0; i < n; i++) out.push(await budget.take(app, { clientId, weight }));
    return out;
  }

  it('a lone client gets the budget minus the reserve; a newcomer is served at once from the reserve', async () => {
    const { budget } = replica({ limit: 20, reservePercent: 10 }); // reserve 2, shared 18
    const app = newApp();
    const a = await take(budget, app, 'A', 25);
    expect(count(a)).toBe(18);
    expect(a[18]).toMatchObject({ allowed: false, reason: 'fair-share', used: 18, share: 18 });
    const b = await take(budget, app, 'B', 3);
    expect(b.map((x) => x.allowed)).toEqual([true, true, false]);
    // The window is full now (18 + 2): the app's budget decides, for everyone.
    expect(b[2]).toMatchObject({ allowed: false, reason: 'budget-exhausted' });
  });

  it('two active clients: the flooder stops at its share, the other keeps its whole share', async () => {
    const { budget } = replica({ limit: 20, reservePercent: 5 }); // reserve 1, share 9.5 each
    const app = newApp();
    expect(count(await take(budget, app, 'B', 1))).toBe(1);
    const a = await take(budget, app, 'A', 30);
    expect(count(a)).toBe(10); // A's 10th call is still within 9.5 (9 < 9.5); borrowing would eat B's owed 8.5
    const refusal = a[10]!;
    expect(refusal).toMatchObject({ allowed: false, reason: 'fair-share', used: 10, share: 9 });
    // Back within its share when its first call leaves the window: within one window, at least most of it.
    if (refusal.allowed) throw new Error('admitted');
    expect(refusal.retryAfterS).toBeGreaterThan(55);
    expect(refusal.retryAfterS).toBeLessThanOrEqual(60);
    const b = await take(budget, app, 'B', 9);
    expect(count(b)).toBe(9); // B: 10 in all, its share
  });

  it('borrows unused capacity only beyond what the other active clients are owed', async () => {
    const { budget } = replica({ limit: 40, reservePercent: 5 }); // reserve 2, usable 38, share 19 each
    const app = newApp();
    await take(budget, app, 'B', 15); // B owed 4 more
    const a = await take(budget, app, 'A', 30);
    // A: 19 within its share, then borrows while 15 + A + 1 + 4 (owed to B) + 2 (reserve) ≤ 40 → A ≤ 19.
    expect(count(a)).toBe(19);
    // B gets the 4 it was owed; beyond its share it cannot borrow the reserve either.
    expect(count(await take(budget, app, 'B', 10))).toBe(4);
    // The reserve is there for a client that starts calling now.
    expect(count(await take(budget, app, 'C', 5))).toBe(2);
  });

  it('weights: a client of weight 3 gets three times the share of a client of weight 1', async () => {
    const { budget } = replica({ limit: 41, reservePercent: 3 }); // reserve 2, usable 39
    const app = newApp();
    await take(budget, app, 'light', 1, 1);
    const heavy = await take(budget, app, 'heavy', 40, 3);
    expect(count(heavy)).toBe(30); // share 39 × 3/4 = 29.25: admitted while it had made fewer → 30
    expect(count(await take(budget, app, 'light', 20, 1))).toBe(9); // share 9.75: 1 + 9 = 10 calls
  });

  it("each app has its own budget and shares: one app's flood does not touch another's", async () => {
    const { budget } = replica({ limit: 10 });
    const busy = newApp();
    const quiet = newApp();
    await take(budget, busy, 'A', 20);
    expect(count(await take(budget, quiet, 'A', 5))).toBe(5);
  });

  it('the breaker is shared: three 429s seen by one replica open it for the other; one probe across replicas closes it', async () => {
    const one = replica({ limit: 1000, openMs: 1500 });
    const two = replica({ limit: 1000, openMs: 1500 });
    const app = newApp();
    for (let i = 0; i < 3; i++) {
      const admission = await one.budget.take(app);
      if (!admission.allowed) throw new Error('refused');
      const { openForS } = await one.breaker.record(app.id, 'rate-limited', admission);
      expect(openForS).toBe(i === 2 ? 2 : undefined);
    }
    expect(await two.budget.take(app, { clientId: 'B' })).toEqual({ allowed: false, shared: true, reason: 'circuit-open', retryAfterS: 2 });
    // Refusals are not counted in the budget.
    expect(await redis.zcard(`rl:flickr-budget@${app.id}`)).toBe(3);

    await new Promise((r) => setTimeout(r, 1600));
    // Half-open: of many concurrent callers on both replicas, exactly one is the probe.
    const attempts = await Promise.all([...Array(10)].map((_, i) => (i % 2 ? one : two).budget.take(app, { clientId: `c${i}` })));
    const probes = attempts.filter((a) => a.allowed);
    expect(probes).toHaveLength(1);
    expect(probes[0]).toMatchObject({ probe: true, fails: 3 });
    expect(attempts.filter((a) => !a.allowed && a.reason === 'circuit-open')).toHaveLength(9);
    const probe = probes[0]!;
    if (!probe.allowed) throw new Error('refused');
    await two.breaker.record(app.id, 'other', probe);
    expect(await one.budget.take(app)).toEqual({ allowed: true, shared: true, probe: false, fails: 0 });
  });

  it("a probe's 429 reopens the breaker for the whole open period; a success while closed costs nothing to record", async () => {
    const one = replica({ limit: 1000, openMs: 800, threshold: 1 });
    const app = newApp();
    const first = await one.budget.take(app);
    if (!first.allowed) throw new Error('refused');
    expect(await one.breaker.record(app.id, 'rate-limited', first)).toEqual({ openForS: 1 });
    await new Promise((r) => setTimeout(r, 900));
    const probe = await one.budget.take(app);
    expect(probe).toMatchObject({ allowed: true, probe: true });
    if (!probe.allowed) throw new Error('refused');
    expect(await one.breaker.record(app.id, 'rate-limited', probe)).toEqual({ openForS: 1 });
    expect(await one.budget.take(app)).toMatchObject({ allowed: false, reason: 'circuit-open' });
  });

  it('a probe refused by the budget gives the probe lock back', async () => {
    const one = replica({ limit: 2, reservePercent: 0, openMs: 500, threshold: 1 });
    const app = newApp();
    const first = await one.budget.take(app);
    if (!first.allowed) throw new Error('refused');
    await one.breaker.record(app.id, 'rate-limited', first);
    await new Promise((r) => setTimeout(r, 600));
    // Half-open, and the budget (2) is spent: one call counted above, one more put in the window directly.
    await redis.zadd(`rl:flickr-budget@${app.id}`, Date.now(), 'x');
    expect(await one.budget.take(app)).toMatchObject({ allowed: false, reason: 'budget-exhausted' });
    expect(await redis.exists(`flickr-breaker@${app.id}:probe`)).toBe(0);
    // With room again, the next caller is the probe (a lock kept by the refused call would answer circuit-open).
    await redis.zrem(`rl:flickr-budget@${app.id}`, 'x');
    expect(await one.budget.take(app)).toMatchObject({ allowed: true, probe: true });
  });
});
