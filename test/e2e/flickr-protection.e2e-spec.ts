import type { FakeFlickr } from '../../tools/sandbox-flickr/fake-flickr.server';
import { createApiKey } from '../support/factories/api-key.factory';
import { connectViaOob } from '../support/factories/flickr.factory';
import { type TestApp } from '../support/test-app';
import { startAppOnFakeFlickr } from '../support/fake-flickr-app';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const BUDGET = 14;
const OPEN_MS = 1500;

/** Upstream protection seen through the gateway: the circuit breaker, then the shared budget. */
describe('upstream protection through the gateway', () => {
  let fake: FakeFlickr;
  let t: TestApp;
  let apiKey: string;
  // What the gateway sent to Flickr (the authorize page is the user's browser, not us).
  const upstreamCalls = () => fake.requests.filter((r) => r.path !== '/services/oauth/authorize').length;
  const call = (userId: string, method: string, body: Record<string, unknown> = {}) =>
    fetch(`${t.url}/v1/users/${userId}/flickr/${method}`, {
      method: 'POST',
      headers: { 'x-api-key': apiKey, 'content-type': 'application/json', 'cache-control': 'no-cache' },
      body: JSON.stringify(body),
    });

  beforeAll(async () => {
    ({ fake, t } = await startAppOnFakeFlickr({
      FLICKR_BUDGET_LIMIT: String(BUDGET),
      // One client here: without a reserve for newcomers it may use the app's whole budget (the reserve and
      // the shares are tested in flickr-fairness.e2e-spec.ts).
      FLICKR_BUDGET_RESERVE_PERCENT: '0',
      FLICKR_BREAKER_OPEN_MS: String(OPEN_MS),
      RATE_LIMIT_USER_WRITE_LIMIT: '2',
    }));
    apiKey = (await createApiKey(t.app)).api_key;
    await connectViaOob(t.url, apiKey, 'p-1');
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  it("a proxied method counts against its own class's per-user quota (writes here), not the reads'", async () => {
    for (let i = 0; i < 2; i++) expect((await call('p-1', 'flickr.photos.delete', { photo_id: '1' })).status).not.toBe(429);
    const limited = await call('p-1', 'flickr.photos.delete', { photo_id: '1' });
    expect(limited.status).toBe(429);
    expect(await limited.json()).toMatchObject({ scope: 'user', class: 'write' });
    expect((await call('p-1', 'flickr.test.login')).status).toBe(200);
  });

  it('three 429s open the breaker: 503 with Retry-After without reaching Flickr; after the open period one probe closes it', async () => {
    fake.inject({ match: 'flickr.test.login', status: 429, times: 3 });
    for (let i = 0; i < 3; i++) expect((await call('p-1', 'flickr.test.login')).status).toBe(503);
    const reached = fake.requests.length;
    const refused = await call('p-1', 'flickr.test.login');
    expect(refused.status).toBe(503);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await refused.json()).toMatchObject({ type: 'urn:flickr-gateway:problem:flickr-circuit-open' });
    expect(fake.requests.length).toBe(reached);

    await sleep(OPEN_MS + 200);
    const probe = await call('p-1', 'flickr.test.login');
    expect(probe.status).toBe(200);
    expect(fake.requests.length).toBe(reached + 1);
    expect((await call('p-1', 'flickr.test.login')).status).toBe(200);

    const metrics = await fetch(`${t.url}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/flickr_api_error_rate_by_code\{code="http_429"\} 3/);
  });

  it(`with a budget of ${BUDGET} per window, the ${BUDGET + 1}th upstream call is not made`, async () => {
    // Every exchange with Flickr so far (OAuth included) was spent from the same budget.
    const statuses: number[] = [];
    for (let i = upstreamCalls(); i < BUDGET + 3; i++) statuses.push((await call('p-1', 'flickr.people.getInfo', { user_id: '12345678@N00' })).status);
    expect(upstreamCalls()).toBe(BUDGET);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThan(0);
    const last = await call('p-1', 'flickr.test.login');
    expect(last.status).toBe(503);
    expect(last.headers.get('retry-after')).toBeTruthy();
    expect(await last.json()).toMatchObject({ type: 'urn:flickr-gateway:problem:flickr-budget-exhausted' });
    expect(upstreamCalls()).toBe(BUDGET);
  });
});
