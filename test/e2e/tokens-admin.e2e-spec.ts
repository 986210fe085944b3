import { randomBytes } from 'node:crypto';
import { TokenStore } from '../../src/tokens/token.store';
import { createTransitKeys, useOpenBao } from '../integration/kms-env';
import { waitFor } from '../support/processes';
import { AUTH_TEST_ENV, createApiKey } from '../support/factories/api-key.factory';
import { startTestApp, type TestApp } from '../support/test-app';

const suffix = randomBytes(4).toString('hex');
const env = useOpenBao(suffix);
const N = 40;
const plain = (i: number) => ({ token: `admin-${suffix}-token-${i}`, secret: `admin-${suffix}-secret-${i}` });

describe('/admin/kms over HTTP with OpenBao', () => {
  let t: TestApp;
  let adminKey: string;
  const bodies: string[] = [];
  const get = async (path: string, init?: RequestInit) => {
    const res = await fetch(`${t.url}${path}`, { ...init, headers: { 'x-api-key': adminKey, ...(init?.headers ?? {}) } });
    const text = await res.text();
    bodies.push(text);
    return { status: res.status, type: res.headers.get('content-type') ?? '', body: JSON.parse(text) };
  };

  beforeAll(async () => {
    await createTransitKeys();
    t = await startTestApp({ env: { ...env, ...AUTH_TEST_ENV, KMS_DATA_KEY_MAX_USES: '5' } });
    adminKey = (await createApiKey(t.app, { role: 'admin' })).api_key;
    const store = t.app.get(TokenStore);
    for (let i = 0; i < N; i++) await store.save(`u${i}`, plain(i));
  });
  afterAll(async () => {
    await t?.close();
  });

  it('requires an admin key: none is 401, a client key is 403', async () => {
    expect((await fetch(`${t.url}/admin/kms/keys`)).status).toBe(401);
    const clientKey = (await createApiKey(t.app)).api_key;
    expect((await fetch(`${t.url}/admin/kms/keys`, { headers: { 'x-api-key': clientKey } })).status).toBe(403);
  });

  it('readiness includes the key service', async () => {
    const ready = await get('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.details.kms).toMatchObject({ status: 'up' });
  });

  it('rotate over HTTP starts the rewrap; progress reaches done with every record on the new version', async () => {
    const before = await get('/admin/kms/keys');
    const userKey = before.body.keys.find((k: { purpose: string }) => k.purpose === 'user-tokens');
    expect(userKey).toMatchObject({ provider: 'vault', name: env.KMS_KEY_USER_TOKENS, latestVersion: 1, minDecryptionVersion: 1 });

    const rotated = await get('/admin/kms/keys/user-tokens/rotate', { method: 'POST' });
    expect(rotated.status).toBe(202);
    expect(rotated.body).toMatchObject({ key: { latestVersion: 2 }, rewrap: 'started' });

    const done = await waitFor(
      async () => {
        const p = await get('/admin/kms/rewrap');
        return p.body.status === 'done' && p.body.remaining === 0 ? p.body : undefined;
      },
      { timeoutMs: 60000, intervalMs: 200 },
    );
    expect(done).toMatchObject({ key: env.KMS_KEY_USER_TOKENS, targetVersion: 2, processed: N, remaining: 0 });
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`^fgw_kms_rewrap_remaining\\{key="${env.KMS_KEY_USER_TOKENS}"\\} 0$`, 'm'));
    const store = t.app.get(TokenStore);
    for (let i = 0; i < N; i += 9) expect(await store.get(`u${i}`)).toEqual(plain(i));
  });

  it('rotating app credentials rewraps the API keys\' signing envelopes and leaves user tokens alone', async () => {
    const rotated = await get('/admin/kms/keys/app-credentials/rotate', { method: 'POST' });
    expect(rotated.status).toBe(202);
    expect(rotated.body).toMatchObject({ key: { name: env.KMS_KEY_APP_CREDENTIALS, latestVersion: 2 }, rewrap: 'started' });
    const done = await waitFor(
      async () => {
        const p = await get('/admin/kms/rewrap?purpose=app-credentials');
        return p.body.status === 'done' && p.body.remaining === 0 ? p.body : undefined;
      },
      { timeoutMs: 60000, intervalMs: 200 },
    );
    // The admin key of this file and the client key of the first test.
    expect(done).toMatchObject({ key: env.KMS_KEY_APP_CREDENTIALS, targetVersion: 2, processed: 2, remaining: 0 });
    expect((await get('/admin/kms/rewrap')).body).toMatchObject({ key: env.KMS_KEY_USER_TOKENS, targetVersion: 2, processed: N });
  });

  it('an unknown key purpose is a 404 problem', async () => {
    const res = await get('/admin/kms/keys/everything/rotate', { method: 'POST' });
    expect(res.status).toBe(404);
    expect(res.type).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ type: 'urn:flickr-gateway:problem:kms-unknown-key', known: ['user-tokens', 'app-credentials'] });
  });

  it('no admin response ever carries a token or secret', () => {
    const all = bodies.join('\n');
    for (let i = 0; i < N; i++) {
      expect(all).not.toContain(plain(i).token);
      expect(all).not.toContain(plain(i).secret);
    }
  });
});

describe('/admin/kms switched off', () => {
  it('answers 404 when KMS_ADMIN_ROUTES_ENABLED=false', async () => {
    const t = await startTestApp({ env: { ...env, KMS_ADMIN_ROUTES_ENABLED: 'false' } });
    try {
      const res = await fetch(`${t.url}/admin/kms/keys`);
      expect(res.status).toBe(404);
    } finally {
      await t.close();
      delete process.env.KMS_ADMIN_ROUTES_ENABLED;
    }
  });
});
