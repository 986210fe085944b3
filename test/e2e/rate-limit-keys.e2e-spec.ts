import { AUTH_TEST_ENV, createApiKey } from '../support/factories/api-key.factory';
import { startTestApp, type TestApp } from '../support/test-app';

/** Per-key and per-user limits on real authenticated routes, two app instances sharing Redis. */
describe('per-key limits across two instances', () => {
  let a: TestApp;
  let b: TestApp;
  const env = {
    ...AUTH_TEST_ENV,
    RATE_LIMIT_KEY_LIMIT: '15',
    RATE_LIMIT_USER_READ_LIMIT: '100000',
    RATE_LIMIT_USER_WRITE_LIMIT: '100000',
  };

  beforeAll(async () => {
    a = await startTestApp({ env });
    b = await startTestApp({ env });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('50 concurrent clients firing at one key with a limit of N get exactly N successes', async () => {
    const key = await createApiKey(a.app);
    const headers = { 'x-api-key': key.api_key };
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => fetch(`${(i % 2 ? a : b).url}/v1/users/u-${i}`, { method: 'PUT', headers })),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(15);
    expect(statuses.filter((s) => s === 429)).toHaveLength(35);
    const refused = results.find((r) => r.status === 429)!;
    expect(((await refused.json()) as { scope: string }).scope).toBe('key');
    expect(refused.headers.get('ratelimit-limit')).toBe('15');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });

  it("a key's own limit from the admin API overrides the default", async () => {
    const key = await createApiKey(a.app, { rate_limit_override: 3 });
    const headers = { 'x-api-key': key.api_key };
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await fetch(`${a.url}/v1/users/o-${i}`, { method: 'PUT', headers })).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
  });

  it('keys are counted separately, and failed authentication is not counted against a key', async () => {
    const [k1, k2] = [await createApiKey(a.app), await createApiKey(a.app)];
    for (let i = 0; i < 15; i++) await fetch(`${a.url}/v1/users/s-${i}`, { method: 'PUT', headers: { 'x-api-key': k1.api_key } });
    expect((await fetch(`${a.url}/v1/users/s-x`, { method: 'PUT', headers: { 'x-api-key': k1.api_key } })).status).toBe(429);
    expect((await fetch(`${b.url}/v1/users/s-y`, { method: 'PUT', headers: { 'x-api-key': k2.api_key } })).status).toBe(200);
  });
});

describe('brute-force protection on failed authentication', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { ...AUTH_TEST_ENV, RATE_LIMIT_AUTH_FAILURES_LIMIT: '4' } });
  });
  afterAll(async () => t?.close());

  it('after N failures from one address, that address is refused (429) even with a valid key', async () => {
    const key = await createApiKey(t.app);
    const bad = { 'x-api-key': `${key.api_key.slice(0, -4)}xxxx` };
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await fetch(`${t.url}/v1/users/u1`, { headers: bad })).status);
    expect(statuses).toEqual([401, 401, 401, 401, 429]);
    const good = await fetch(`${t.url}/v1/users/u1`, { headers: { 'x-api-key': key.api_key } });
    expect(good.status).toBe(429);
    expect(((await good.json()) as { class: string }).class).toBe('auth-failure');
  });
});
