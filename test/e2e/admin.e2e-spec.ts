import { SecurityEvents } from '../../src/security-events/security-events.service';
import { createAdminKey } from '../../src/cli/create-admin-key';
import { AUTH_TEST_ENV, createApiKey } from '../support/factories/api-key.factory';
import { startTestApp, type TestApp } from '../support/test-app';

/** Runs the CLI in-process and returns its exit code and stdout. */
async function runCli(args: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: any) => {
    out += String(chunk);
    return true;
  });
  const errSpy = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    return { code: await createAdminKey(args), out };
  } finally {
    spy.mockRestore();
    errSpy.mockRestore();
  }
}

describe('Admin API and first admin key (real app, Redis, FerretDB)', () => {
  let t: TestApp;
  let admin: string;
  let cliRuns: Array<{ code: number; out: string }>;
  beforeAll(async () => {
    Object.assign(process.env, AUTH_TEST_ENV, { AUDIT_FLUSH_INTERVAL_MS: '50' });
    // The CLI runs in this process before the app starts: its Nest context closes the Mongo connection on exit.
    cliRuns = [await runCli(['--client-id', 'operator', '--name', 'bootstrap']), await runCli([])];
    t = await startTestApp();
  });
  afterAll(async () => t?.close());

  const call = (method: string, path: string, key: string, body?: unknown) =>
    fetch(`${t.url}${path}`, {
      method,
      headers: { 'x-api-key': key, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  it('the CLI creates the first admin key on an empty database, once', async () => {
    const [first, second] = cliRuns;
    expect(first.code).toBe(0);
    const printed = JSON.parse(first.out) as { api_key: string; key_id: string };
    expect(printed.api_key).toMatch(/^fgw_[a-z2-7]{12}_[A-Za-z0-9_-]{43}$/);
    admin = printed.api_key;
    expect(second.code).toBe(1);
    expect(second.out).toBe('');
    expect((await call('GET', '/admin/keys', admin)).status).toBe(200);
  });

  it('creates, lists (paginated, no secrets), gets, updates, rotates and revokes keys', async () => {
    const created = await call('POST', '/admin/keys', admin, { client_id: 'acme', name: 'backend', role: 'client' });
    expect(created.status).toBe(201);
    const key = (await created.json()) as any;
    expect(key.api_key).toMatch(/^fgw_/);
    expect(key.signing_secret).toMatch(/^fgws_/);
    expect((await call('PUT', '/v1/users/acme-u1', key.api_key)).status).toBe(200);

    for (let i = 0; i < 3; i++) await call('POST', '/admin/keys', admin, { client_id: 'acme', name: `k${i}`, role: 'client' });
    const page1 = (await (await call('GET', '/admin/keys?client_id=acme&limit=2', admin)).json()) as any;
    expect(page1.items).toHaveLength(2);
    expect(page1.next_cursor).toEqual(expect.any(String));
    const page2 = (await (await call('GET', `/admin/keys?client_id=acme&limit=2&cursor=${page1.next_cursor}`, admin)).json()) as any;
    expect(page2.items).toHaveLength(2);
    expect(page2.next_cursor).toBeNull();
    const ids = [...page1.items, ...page2.items].map((k: any) => k.key_id);
    expect(new Set(ids).size).toBe(4);
    const listed = JSON.stringify([page1, page2]);
    expect(listed).not.toContain(key.api_key.split('_').pop());
    expect(listed).not.toMatch(/secret_hash|signing_secret|api_key|\$2b\$/);

    const got = (await (await call('GET', `/admin/keys/${key.key_id}`, admin)).json()) as any;
    expect(got).toMatchObject({ key_id: key.key_id, client_id: 'acme', role: 'client', status: 'active' });
    expect(got.api_key).toBeUndefined();

    const patched = await call('PATCH', `/admin/keys/${key.key_id}`, admin, { name: 'renamed', rate_limit_override: 120, ip_allowlist: ['10.0.0.0/8'] });
    expect(patched.status).toBe(200);
    expect(await patched.json()).toMatchObject({ name: 'renamed', rate_limit_override: 120, ip_allowlist: ['10.0.0.0/8'] });
    // The new allowlist applies at once (the cached verification was dropped): 127.0.0.1 is outside it.
    expect((await call('GET', '/v1/users/acme-u1', key.api_key)).status).toBe(403);
    expect((await call('PATCH', `/admin/keys/${key.key_id}`, admin, { ip_allowlist: ['not-an-ip'] })).status).toBe(400);
    await call('PATCH', `/admin/keys/${key.key_id}`, admin, { ip_allowlist: [] });

    const rotated = (await (await call('POST', `/admin/keys/${key.key_id}/rotate`, admin, { grace_period_seconds: 0 })).json()) as any;
    expect(rotated.api_key).not.toBe(key.api_key);
    expect((await call('GET', '/v1/users/acme-u1', rotated.api_key)).status).toBe(200);
    expect((await call('GET', '/v1/users/acme-u1', key.api_key)).status).toBe(401);

    const revoked = await call('POST', `/admin/keys/${key.key_id}/revoke`, admin);
    expect(revoked.status).toBe(200);
    expect(((await revoked.json()) as any).status).toBe('revoked');
    expect((await call('GET', '/v1/users/acme-u1', rotated.api_key)).status).toBe(401);
    expect((await call('GET', '/admin/keys/aaaaaaaaaaaa', admin)).status).toBe(404);
  });

  it('a second rotation within the grace period is a 409 problem naming when it is possible; nothing is issued', async () => {
    const created = (await (await call('POST', '/admin/keys', admin, { client_id: 'acme', name: 'graceful', role: 'client' })).json()) as any;
    const first = await call('POST', `/admin/keys/${created.key_id}/rotate`, admin, { grace_period_seconds: 600 });
    expect(first.status).toBe(200);
    const firstBody = (await first.json()) as any;
    const second = await call('POST', `/admin/keys/${created.key_id}/rotate`, admin, {});
    expect(second.status).toBe(409);
    expect(second.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const problem = (await second.json()) as any;
    expect(problem).toMatchObject({
      type: 'urn:flickr-gateway:problem:key-rotation-conflict',
      status: 409,
      reason: 'grace-period-running',
      previous_secret_valid_until: firstBody.previous_secret_valid_until,
    });
    expect(JSON.stringify(problem)).not.toMatch(/api_key|signing_secret|fgws?_/);
    expect((await call('GET', '/v1/users/acme-g1', created.api_key)).status).not.toBe(401);
    expect((await call('GET', '/v1/users/acme-g1', firstBody.api_key)).status).not.toBe(401);
  });

  it('documents every admin and user route in Swagger with the key security schemes', async () => {
    const doc = (await (await fetch(`${t.url}/docs-json`)).json()) as any;
    for (const route of ['/admin/keys', '/admin/keys/{key_id}', '/admin/keys/{key_id}/rotate', '/admin/keys/{key_id}/revoke', '/admin/audit', '/v1/users/{user_id}']) {
      expect({ route, documented: route in doc.paths }).toEqual({ route, documented: true });
    }
    expect(doc.paths['/admin/keys'].post.security).toEqual(expect.arrayContaining([{ 'api-key': [] }]));
  });

  it('refuses client keys and missing keys on /admin', async () => {
    const client = await createApiKey(t.app);
    expect((await call('GET', '/admin/keys', client.api_key)).status).toBe(403);
    expect((await call('POST', '/admin/keys', client.api_key, { client_id: 'x', name: 'x', role: 'admin' })).status).toBe(403);
    expect((await fetch(`${t.url}/admin/audit`)).status).toBe(401);
  });

  it('records every API call in audit_logs and serves them at /admin/audit with filters and cursors', async () => {
    const client = await createApiKey(t.app, { client_id: 'audited' });
    expect((await call('PUT', '/v1/users/audit-u1', client.api_key)).status).toBe(200);
    expect((await call('GET', '/v1/users/audit-u1', client.api_key)).status).toBe(200);
    await fetch(`${t.url}/v1/users/audit-u1`); // 401, still audited
    let items: any[] = [];
    for (let i = 0; i < 60 && items.length < 2; i++) {
      await new Promise((r) => setTimeout(r, 100));
      items = ((await (await call('GET', `/admin/audit?key_id=${client.key_id}`, admin)).json()) as any).items;
    }
    expect(items).toHaveLength(2);
    expect(items[0]).toMatchObject({
      key_id: client.key_id,
      client_id: 'audited',
      method: 'GET',
      route: '/v1/users/:user_id',
      user_id: 'audit-u1',
      status: 200,
      source_ip: '127.0.0.1',
    });
    expect(items[0].request_id).toEqual(expect.any(String));
    expect(items[0].latency_ms).toEqual(expect.any(Number));
    for (let i = 0; i < 60; i++) {
      const all = ((await (await call('GET', '/admin/audit?user_id=audit-u1', admin)).json()) as any).items;
      if (all.length >= 3) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const byUser = ((await (await call('GET', '/admin/audit?user_id=audit-u1&limit=1', admin)).json()) as any);
    expect(byUser.items).toHaveLength(1);
    expect(byUser.next_cursor).toEqual(expect.any(String));
    const next = ((await (await call('GET', `/admin/audit?user_id=audit-u1&limit=5&cursor=${byUser.next_cursor}`, admin)).json()) as any);
    expect(next.items.length).toBeGreaterThanOrEqual(1);
    expect(next.items.map((x: any) => x.id)).not.toContain(byUser.items[0].id);
    expect([...byUser.items, ...next.items].some((x: any) => x.status === 401 && x.key_id === null)).toBe(true);
    const future = ((await (await call('GET', `/admin/audit?from=${new Date(Date.now() + 60_000).toISOString()}`, admin)).json()) as any);
    expect(future.items).toHaveLength(0);
  });

  it('audits admin actions on keys in audit_events', async () => {
    const events = await t.app.get(SecurityEvents, { strict: false }).recent(/^auth\.key\./);
    const actions = events.map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['auth.key.created', 'auth.key.updated', 'auth.key.rotated', 'auth.key.revoked']));
    expect(JSON.stringify(events)).not.toMatch(/fgw_|fgws_|\$2b\$/);
  });
});
