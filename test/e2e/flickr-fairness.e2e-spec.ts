import type { FakeFlickr } from '../../tools/sandbox-flickr/fake-flickr.server';
import { createApiKey } from '../support/factories/api-key.factory';
import { type TestApp } from '../support/test-app';
import { startAppOnFakeFlickr } from '../support/fake-flickr-app';
import { connectUser } from '../support/uploads';

const PROBLEM = 'urn:flickr-gateway:problem:';
const BUDGET = 20;
const WINDOW_S = 60;
const READ = 'flickr.people.getInfo';

/**
 * Two clients share the gateway's Flickr app and its small budget (20 per minute, reserve 5 % = 1, so a share of
 * 9.5 each): A floods with uncached calls, B keeps being served up to its share; A is refused with a 429 whose
 * Retry-After is when its own first calls leave the window.
 */
describe('a fair share of the shared Flickr budget', () => {
  let fake: FakeFlickr;
  let t: TestApp;
  let keyA: string;
  let keyB: string;
  const call = (apiKey: string, userId: string) =>
    fetch(`${t.url}/v1/users/${userId}/flickr/${READ}`, {
      method: 'POST',
      // Cache-Control: no-cache bypasses the read cache: every call goes upstream.
      headers: { 'x-api-key': apiKey, 'content-type': 'application/json', 'cache-control': 'no-cache' },
      body: JSON.stringify({ user_id: '12345678@N00' }),
    });

  beforeAll(async () => {
    ({ fake, t } = await startAppOnFakeFlickr({
      FLICKR_BUDGET_LIMIT: String(BUDGET),
      FLICKR_BUDGET_WINDOW_MS: String(WINDOW_S * 1000),
      FLICKR_BUDGET_RESERVE_PERCENT: '5',
      // The gateway's own per-user quotas must not be what stops A.
      RATE_LIMIT_ENABLED: 'false',
    }));
    const a = await createApiKey(t.app);
    const b = await createApiKey(t.app);
    [keyA, keyB] = [a.api_key, b.api_key];
    // Connected straight through the Flickr client (not the gateway's OAuth routes), so the budget is untouched.
    await connectUser(t.app, fake, a.client_id, 'a-1');
    await connectUser(t.app, fake, b.client_id, 'b-1');
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  it("A floods; B's calls keep succeeding up to its share; A gets 429 flickr-fair-share-exceeded with the window's Retry-After", async () => {
    // B is active (it asked within the window) before A floods.
    expect((await call(keyB, 'b-1')).status).toBe(200);
    const upstreamBefore = fake.callsTo(READ);
    const beforeA = Date.now();

    const flood: Response[] = [];
    for (let i = 0; i < 30; i++) flood.push(await call(keyA, 'a-1'));
    const servedA = flood.filter((r) => r.status === 200).length;
    const refusedA = flood.filter((r) => r.status !== 200);
    // A's share is 9.5 of the 19 shared calls: served while it has made fewer (10 calls); an 11th would borrow
    // from the 8.5 B is still owed.
    expect(servedA).toBe(10);
    expect(fake.callsTo(READ)).toBe(upstreamBefore + servedA);
    expect(refusedA).toHaveLength(30 - servedA);
    for (const refusal of refusedA) expect(refusal.status).toBe(429);
    const problem = (await refusedA[0]!.json()) as Record<string, unknown>;
    expect(problem).toMatchObject({ type: `${PROBLEM}flickr-fair-share-exceeded`, share: 9, windowSeconds: WINDOW_S });
    // Retry-After: when A's first call (made after beforeA) leaves the 60 s window: not later than the window,
    // not earlier than the part of it that has not passed yet.
    const retryAfter = Number(refusedA[0]!.headers.get('retry-after'));
    const elapsedS = (Date.now() - beforeA) / 1000;
    expect(retryAfter).toBeLessThanOrEqual(WINDOW_S);
    expect(retryAfter).toBeGreaterThanOrEqual(Math.floor(WINDOW_S - elapsedS));
    expect(problem.retryAfterSeconds).toBe(retryAfter);

    // B, while A is refused: served up to its own share (1 + 9 = 10 calls).
    const servedB: number[] = [];
    for (let i = 0; i < 9; i++) servedB.push((await call(keyB, 'b-1')).status);
    expect(servedB).toEqual(Array(9).fill(200));
    expect(fake.callsTo(READ)).toBe(upstreamBefore + 19); // A's 10 and B's 9 since B's first call
    // The window is full now (20 of 20): everyone gets 503 flickr-budget-exhausted, without reaching Flickr.
    const reached = fake.callsTo(READ);
    for (const key of [keyA, keyB]) {
      const full = await call(key, key === keyA ? 'a-1' : 'b-1');
      expect(full.status).toBe(503);
      expect(await full.json()).toMatchObject({ type: `${PROBLEM}flickr-budget-exhausted` });
      expect(Number(full.headers.get('retry-after'))).toBeLessThanOrEqual(WINDOW_S);
    }
    expect(fake.callsTo(READ)).toBe(reached);
  });
});
