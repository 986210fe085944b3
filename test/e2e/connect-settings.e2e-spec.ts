import { AUTH_TEST_ENV, createApiKey } from '../support/factories/api-key.factory';
import { SecurityEvents } from '../../src/security-events/security-events.service';
import { startReplica, startTestApp, type TestApp } from '../support/test-app';

const PROBLEM = 'urn:flickr-gateway:problem:';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * The admin API of per-client connect settings (branding and return-URL allowlist) through the whole
 * app: real FerretDB and Redis. Session creation reads each client's own allowlist through a cache
 * that every replica drops on a change (a second replica shares database and Redis).
 */
describe('connect settings per client (admin API)', () => {
  let t: TestApp;
  let replica: TestApp | undefined;
  let admin: string;
  const keys: Record<'A' | 'B' | 'C', { apiKey: string; clientId: string }> = {} as never;
  const env = { ...AUTH_TEST_ENV, CONNECT_SETTINGS_CACHE_TTL_MS: '300000' };

  const send = async (path: string, init: { method?: string; key?: string; body?: unknown; base?: string } = {}) => {
    const res = await fetch(`${init.base ?? t.url}${path}`, {
      method: init.method ?? 'GET',
      headers: { ...(init.key ? { 'x-api-key': init.key } : {}), ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : undefined) as Json };
  };
  const settingsPath = (clientId: string) => `/admin/clients/${clientId}/connect-settings`;
  const put = (clientId: string, body: unknown, key = admin) => send(settingsPath(clientId), { method: 'PUT', key, body });
  const get = (clientId: string, key = admin) => send(settingsPath(clientId), { key });
  const createSession = (who: 'A' | 'B' | 'C', returnUrl: string, base?: string) =>
    send('/v1/connect-sessions', { method: 'POST', key: keys[who].apiKey, body: { user_id: `u-${who}`, perms: 'read', return_url: returnUrl }, base });

  beforeAll(async () => {
    t = await startTestApp({ env });
    admin = (await createApiKey(t.app, { role: 'admin', client_id: 'ops' })).api_key;
    for (const who of ['A', 'B', 'C'] as const) {
      const issued = await createApiKey(t.app, { client_id: `client-${who.toLowerCase()}-${Date.now().toString(36)}` });
      keys[who] = { apiKey: issued.api_key, clientId: issued.client_id };
    }
  });
  afterAll(async () => {
    // The replica shares this file's database: closing it must not drop it under the first app.
    await replica?.app.close();
    await t?.close();
  });

  it('answers the defaults for a client never set: no branding, an empty allowlist', async () => {
    const res = await get(keys.C.clientId);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ client_id: keys.C.clientId, display_name: null, logo_url: null, return_url_origins: [], updated_at: null });
    // Without settings no return_url is accepted.
    expect((await createSession('C', 'https://app.example.com/done')).body).toMatchObject({ type: `${PROBLEM}connect-return-url-not-allowed` });
  });

  it('stores the settings normalised (origin form, duplicates dropped) and answers them on GET', async () => {
    const res = await put(keys.A.clientId, {
      display_name: '  Acme Photos  ',
      logo_url: 'https://static.acme.example/logo.png',
      return_url_origins: ['https://App.Acme.example:443/', 'https://app.acme.example', 'http://localhost:3000', 'https://acme.example:8443'],
    });
    expect(res.status).toBe(200);
    const expected = {
      client_id: keys.A.clientId,
      display_name: 'Acme Photos',
      logo_url: 'https://static.acme.example/logo.png',
      return_url_origins: ['https://app.acme.example', 'http://localhost:3000', 'https://acme.example:8443'],
    };
    expect(res.body).toEqual({ ...expected, updated_at: expect.any(String) });
    expect((await get(keys.A.clientId)).body).toEqual(res.body);
  });

  it('changes only the fields sent; null clears a field back to its default', async () => {
    const res = await put(keys.A.clientId, { display_name: 'Acme', logo_url: null });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ display_name: 'Acme', logo_url: null, return_url_origins: ['https://app.acme.example', 'http://localhost:3000', 'https://acme.example:8443'] });
    expect((await put(keys.A.clientId, { display_name: null })).body).toMatchObject({ display_name: null, logo_url: null });
  });

  it.each([
    ['an origin with a path', { return_url_origins: ['https://app.example.com/callback'] }, 'return_url_origins[0]'],
    ['an origin with a query', { return_url_origins: ['https://app.example.com?x=1'] }, 'return_url_origins[0]'],
    ['plain http off localhost', { return_url_origins: ['http://app.example.com'] }, 'return_url_origins[0]'],
    ['credentials in an origin', { return_url_origins: ['https://u:p@app.example.com'] }, 'return_url_origins[0]'],
    ['a javascript: origin', { return_url_origins: ['javascript:alert(1)'] }, 'return_url_origins[0]'],
    ['a bare host', { return_url_origins: ['app.example.com'] }, 'return_url_origins[0]'],
    ['more than 20 origins', { return_url_origins: Array.from({ length: 21 }, (_, i) => `https://a${i}.example`) }, 'return_url_origins'],
    ['origins not as strings', { return_url_origins: [42] }, 'return_url_origins'],
    ['a display name over 80 characters', { display_name: 'x'.repeat(81) }, 'display_name'],
    ['a blank display name', { display_name: '   ' }, 'display_name'],
    ['a display name with a control character', { display_name: 'Acme\u0007' }, 'display_name'],
    ['a display name with a bidi override', { display_name: 'Acme\u202Egnp.exe' }, 'display_name'],
    ['a plain-http logo off localhost', { logo_url: 'http://static.example/logo.png' }, 'logo_url'],
    ['a logo that is not a URL', { logo_url: 'logo.png' }, 'logo_url'],
    ['a logo with credentials', { logo_url: 'https://u:p@static.example/logo.png' }, 'logo_url'],
  ])('refuses %s (400 validation-failed naming the field) and changes nothing', async (_why, body, field) => {
    const before = (await get(keys.A.clientId)).body;
    const res = await put(keys.A.clientId, { display_name: 'Changed?', ...body });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.body).toMatchObject({ type: `${PROBLEM}validation-failed`, requestId: expect.any(String) });
    expect(JSON.stringify(res.body.errors ?? res.body.detail)).toContain(field);
    expect((await get(keys.A.clientId)).body).toEqual(before);
  });

  it('refuses a client key (403), no key (401) and a malformed client id (400)', async () => {
    expect((await put(keys.A.clientId, { display_name: 'Mine now' }, keys.A.apiKey)).status).toBe(403);
    expect((await get(keys.A.clientId, keys.A.apiKey)).status).toBe(403);
    expect((await send(settingsPath(keys.A.clientId), { method: 'PUT', body: { display_name: 'x' } })).status).toBe(401);
    expect((await put('bad client!', { display_name: 'x' })).status).toBe(400);
    expect((await get(keys.A.clientId)).body.display_name).toBeNull();
  });

  it("a session's return_url must be on its own client's allowlist: B's origin is refused for A", async () => {
    expect((await put(keys.B.clientId, { return_url_origins: ['https://b-only.example'] })).status).toBe(200);
    const forA = await createSession('A', 'https://b-only.example/done');
    expect(forA.status).toBe(400);
    expect(forA.body).toMatchObject({ type: `${PROBLEM}connect-return-url-not-allowed`, detail: expect.stringContaining("this client's allowlist") });
    expect((await createSession('B', 'https://b-only.example/done')).status).toBe(201);
    expect((await createSession('A', 'https://app.acme.example/done')).status).toBe(201);
    expect((await createSession('B', 'https://app.acme.example/done')).status).toBe(400);
  });

  it('a change applies at once on every replica, despite a 5-minute cache', async () => {
    replica = await startReplica(env, {});
    // Both replicas have B's allowlist cached now.
    expect((await createSession('B', 'https://b-only.example/x', replica.url)).status).toBe(201);
    expect((await createSession('B', 'https://b-only.example/x')).status).toBe(201);
    expect((await put(keys.B.clientId, { return_url_origins: ['https://b-new.example'] })).status).toBe(200);
    // The replica heard the change over Redis; poll only for the message's delivery, not for a TTL.
    let status = 0;
    for (let i = 0; i < 100 && status !== 400; i++) {
      status = (await createSession('B', 'https://b-only.example/x', replica.url)).status;
      if (status !== 400) await new Promise((r) => setTimeout(r, 50));
    }
    expect(status).toBe(400);
    expect((await createSession('B', 'https://b-new.example/x', replica.url)).status).toBe(201);
    expect((await createSession('B', 'https://b-only.example/x')).status).toBe(400);
  });

  it('records each change as a security event naming the admin key and the allowlist before and after', async () => {
    const events = await t.app.get(SecurityEvents).recent(/^connect\.settings\.updated$/, 50);
    const forB = events.filter((e) => e.target === keys.B.clientId);
    expect(forB[0]).toMatchObject({
      actor: expect.stringMatching(/^admin-key:/),
      client_id: keys.B.clientId,
      details: { return_url_origins: ['https://b-new.example'], previous_return_url_origins: ['https://b-only.example'], changed: ['return_url_origins'] },
    });
  });
});
