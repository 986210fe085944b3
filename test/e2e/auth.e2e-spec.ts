import { ApiKeyAdmin } from '../../src/auth/api-key.admin';
import { ApiKeyIssuer } from '../../src/auth/api-key.issuer';
import { AUTH_TEST_ENV, createApiKey } from '../support/factories/api-key.factory';
import { startTestApp, type TestApp } from '../support/test-app';

async function expectAuthFailed(res: Response): Promise<void> {
  expect(res.status).toBe(401);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const body = (await res.json()) as any;
  expect(body).toMatchObject({ type: 'urn:flickr-gateway:problem:authentication-failed', detail: 'Authentication failed.' });
}

async function pollUntil(deadlineMs: number, check: () => Promise<boolean>): Promise<boolean> {
  const end = Date.now() + deadlineMs;
  while (Date.now() < end) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}

describe('API-key authentication (real app, Redis, FerretDB)', () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    a = await startTestApp({ env: AUTH_TEST_ENV });
    b = await startTestApp({ env: AUTH_TEST_ENV });
  });
  afterAll(async () => {
    await b?.app.close();
    await a?.close();
  });

  const get = (t: TestApp, path: string, key?: string) =>
    fetch(`${t.url}${path}`, { headers: key ? { 'x-api-key': key } : {} });
  const put = (t: TestApp, path: string, key: string) => fetch(`${t.url}${path}`, { method: 'PUT', headers: { 'x-api-key': key } });

  it('accepts a valid key', async () => {
    const key = await createApiKey(a.app);
    const res = await put(a, '/v1/users/u-valid', key.api_key);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ user_id: 'u-valid' });
  });

  it('rejects a missing key, a malformed key and a wrong secret with the same 401', async () => {
    const key = await createApiKey(a.app);
    await expectAuthFailed(await get(a, '/v1/users/u1'));
    await expectAuthFailed(await get(a, '/v1/users/u1', 'nonsense'));
    const wrong = `${key.api_key.slice(0, -4)}AAAA`;
    expect(wrong).not.toBe(key.api_key);
    await expectAuthFailed(await get(a, '/v1/users/u1', wrong));
  });

  it('does not cache a failure as a success: the right key still works after a wrong one', async () => {
    const key = await createApiKey(a.app);
    await expectAuthFailed(await put(a, '/v1/users/u-neg', `${key.api_key.slice(0, -4)}AAAA`));
    expect((await put(a, '/v1/users/u-neg', key.api_key)).status).toBe(200);
  });

  it('rejects an expired key', async () => {
    const key = await createApiKey(a.app, { expires_at: new Date(Date.now() - 1000) });
    await expectAuthFailed(await put(a, '/v1/users/u-exp', key.api_key));
  });

  it('rejects a revoked key on a second instance sharing Redis within 1 s', async () => {
    const key = await createApiKey(a.app);
    // Instance b verifies (and caches) the key first.
    expect((await put(b, '/v1/users/u-rev', key.api_key)).status).toBe(200);
    expect((await get(b, '/v1/users/u-rev', key.api_key)).status).toBe(200);
    await a.app.get(ApiKeyAdmin).revoke(key.key_id, 'test');
    const rejected = await pollUntil(1000, async () => (await get(b, '/v1/users/u-rev', key.api_key)).status === 401);
    expect(rejected).toBe(true);
  });

  it('keeps the old secret working during the rotation grace, then rejects it', async () => {
    const key = await createApiKey(a.app);
    expect((await put(a, '/v1/users/u-rot', key.api_key)).status).toBe(200);
    const rotated = await a.app.get(ApiKeyIssuer).rotate(key.key_id, 'test', 2);
    expect(rotated.api_key).not.toBe(key.api_key);
    expect((await get(a, '/v1/users/u-rot', key.api_key)).status).toBe(200);
    expect((await get(b, '/v1/users/u-rot', key.api_key)).status).toBe(200);
    expect((await get(a, '/v1/users/u-rot', rotated.api_key)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 2100));
    await expectAuthFailed(await get(a, '/v1/users/u-rot', key.api_key));
    await expectAuthFailed(await get(b, '/v1/users/u-rot', key.api_key));
    expect((await get(a, '/v1/users/u-rot', rotated.api_key)).status).toBe(200);
  });

  it('gives client A a 404 for client B\'s user, identical to an unknown user', async () => {
    const keyA = await createApiKey(a.app, { client_id: 'client-a' });
    const keyB = await createApiKey(a.app, { client_id: 'client-b' });
    expect((await put(a, '/v1/users/owned-by-b', keyB.api_key)).status).toBe(200);
    expect((await get(a, '/v1/users/owned-by-b', keyB.api_key)).status).toBe(200);
    const foreign = await get(a, '/v1/users/owned-by-b', keyA.api_key);
    const unknown = await get(a, '/v1/users/nobody-at-all', keyA.api_key);
    expect(foreign.status).toBe(404);
    expect(unknown.status).toBe(404);
    const [fb, ub] = [(await foreign.json()) as any, (await unknown.json()) as any];
    expect({ ...fb, instance: undefined, requestId: undefined }).toEqual({ ...ub, instance: undefined, requestId: undefined });
    // User ids are per client: A registering the same id gets a user of its own, and B's is unchanged.
    expect((await put(a, '/v1/users/owned-by-b', keyA.api_key)).status).toBe(200);
    expect((await get(a, '/v1/users/owned-by-b', keyB.api_key)).status).toBe(200);
    expect((await get(a, '/v1/users/owned-by-b', keyA.api_key)).status).toBe(200);
  });

  it('gives client keys 403 on /admin', async () => {
    const key = await createApiKey(a.app);
    const res = await get(a, '/admin/keys', key.api_key);
    expect(res.status).toBe(403);
    expect(((await res.json()) as any).type).toBe('urn:flickr-gateway:problem:forbidden');
  });

  it('counts failures by reason in /metrics', async () => {
    const text = await (await fetch(`${a.url}/metrics`)).text();
    expect(text).toMatch(/auth_failures_total\{reason="wrong-secret"\} [1-9]/);
    expect(text).toMatch(/auth_failures_total\{reason="missing"\} [1-9]/);
  });
});
