import type { IssuedApiKey } from '../../src/auth/api-key.view';
import { AUTH_TEST_ENV, createApiKey } from '../support/factories/api-key.factory';
import { signedHeaders } from '../support/factories/signed-request';
import { startTestApp, type TestApp } from '../support/test-app';

describe('HMAC request signing and IP allowlists (real app, Redis, FerretDB)', () => {
  let t: TestApp;
  let key: IssuedApiKey;
  beforeAll(async () => {
    t = await startTestApp({ env: AUTH_TEST_ENV });
    key = await createApiKey(t.app);
  });
  afterAll(async () => t?.close());

  const send = (method: string, url: string, headers: Record<string, string>, body?: string) =>
    fetch(`${t.url}${url}`, {
      method,
      headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
      body,
    });
  const signFor = (k: IssuedApiKey, method: string, url: string, extra: { body?: string; timestamp?: number; nonce?: string } = {}) =>
    signedHeaders({ keyId: k.key_id, signingSecret: k.signing_secret, method, url, ...extra });
  const expect401 = async (res: Response) => {
    expect(res.status).toBe(401);
    expect(((await res.json()) as any).detail).toBe('Authentication failed.');
  };

  it('accepts a valid signed request, with a body and an unsorted query', async () => {
    const url = '/v1/users/h-valid?b=2&a=1';
    const res = await send('PUT', url, signFor(key, 'PUT', url, { body: '{}' }), '{}');
    expect(res.status).toBe(200);
    const get = await send('GET', '/v1/users/h-valid', signFor(key, 'GET', '/v1/users/h-valid'));
    expect(get.status).toBe(200);
  });

  it('rejects a timestamp 301 s in the past and 301 s in the future', async () => {
    const now = Math.floor(Date.now() / 1000);
    for (const timestamp of [now - 301, now + 301]) {
      await expect401(await send('GET', '/v1/users/h-valid', signFor(key, 'GET', '/v1/users/h-valid', { timestamp })));
    }
  });

  it('rejects a replayed nonce', async () => {
    const headers = signFor(key, 'GET', '/v1/users/h-valid');
    expect((await send('GET', '/v1/users/h-valid', headers)).status).toBe(200);
    await expect401(await send('GET', '/v1/users/h-valid', headers));
  });

  it('rejects a tampered body, path or query', async () => {
    await expect401(await send('PUT', '/v1/users/h-body', signFor(key, 'PUT', '/v1/users/h-body', { body: '{"a":1}' }), '{"a":2}'));
    await expect401(await send('GET', '/v1/users/h-other', signFor(key, 'GET', '/v1/users/h-valid')));
    await expect401(await send('GET', '/v1/users/h-valid?a=2', signFor(key, 'GET', '/v1/users/h-valid?a=1')));
  });

  it('rejects a signature made with another key\'s secret and a wrong method', async () => {
    const other = await createApiKey(t.app);
    const forged = { ...signFor(other, 'GET', '/v1/users/h-valid'), 'x-fgw-key-id': key.key_id };
    await expect401(await send('GET', '/v1/users/h-valid', forged));
    await expect401(await send('PUT', '/v1/users/h-valid', signFor(key, 'GET', '/v1/users/h-valid')));
  });

  it('answers 403 from an address outside the allowlist, and ignores a spoofed X-Forwarded-For', async () => {
    const restricted = await createApiKey(t.app, { ip_allowlist: ['203.0.113.0/24', '2001:db8::/32'] });
    const denied = await send('GET', '/v1/users/h-valid', { 'x-api-key': restricted.api_key });
    expect(denied.status).toBe(403);
    expect(((await denied.json()) as any).type).toBe('urn:flickr-gateway:problem:forbidden');
    const spoofed = await send('GET', '/v1/users/h-valid', { 'x-api-key': restricted.api_key, 'x-forwarded-for': '203.0.113.7' });
    expect(spoofed.status).toBe(403);
    const allowed = await createApiKey(t.app, { ip_allowlist: ['127.0.0.0/8'] });
    expect((await send('PUT', '/v1/users/h-ip', { 'x-api-key': allowed.api_key })).status).toBe(200);
  });
});

describe('X-Forwarded-For behind a trusted proxy', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { ...AUTH_TEST_ENV, AUTH_TRUSTED_PROXIES: '127.0.0.1' } });
  });
  afterAll(async () => {
    process.env.AUTH_TRUSTED_PROXIES = '';
    await t?.close();
  });

  it('uses the forwarded client address when the peer is a trusted proxy', async () => {
    const restricted = await createApiKey(t.app, { ip_allowlist: ['203.0.113.0/24'] });
    const forwarded = await fetch(`${t.url}/v1/users/p1`, {
      method: 'PUT',
      headers: { 'x-api-key': restricted.api_key, 'x-forwarded-for': '198.51.100.1, 203.0.113.7' },
    });
    expect(forwarded.status).toBe(200);
    const direct = await fetch(`${t.url}/v1/users/p1`, { headers: { 'x-api-key': restricted.api_key } });
    expect(direct.status).toBe(403);
  });
});
