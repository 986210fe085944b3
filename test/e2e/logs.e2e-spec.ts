import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { AUTH_TEST_ENV, createApiKey } from '../support/factories/api-key.factory';
import { signedHeaders } from '../support/factories/signed-request';
import { freePort, waitFor } from '../support/processes';
import { startTestApp, type TestApp } from '../support/test-app';

const ROOT = join(__dirname, '..', '..');

/**
 * Runs the API as its own process (src/main.ts, as in production) at the most
 * verbose log level, drives a full authentication flow through it, and searches
 * everything the process wrote to stdout and stderr for credentials.
 */
describe('logs of a full auth run hold no key secret, signature or token', () => {
  let helper: TestApp;
  let child: ChildProcess;
  let output = '';
  let base = '';
  const secrets: string[] = [];

  beforeAll(async () => {
    // In-process app on the same database and Redis prefix: only used to mint the first admin key.
    helper = await startTestApp({ env: AUTH_TEST_ENV });
    const port = await freePort();
    child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', join(ROOT, 'src/main.ts')], {
      cwd: ROOT,
      env: {
        ...process.env,
        ...AUTH_TEST_ENV,
        NODE_OPTIONS: '',
        TS_NODE_PROJECT: join(ROOT, 'tsconfig.json'),
        NODE_ENV: 'development',
        LOG_LEVEL: 'trace',
        PORT: String(port),
        HOST: '127.0.0.1',
        AUDIT_FLUSH_INTERVAL_MS: '50',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (d) => (output += String(d)));
    child.stderr?.on('data', (d) => (output += String(d)));
    base = `http://127.0.0.1:${port}`;
    await waitFor(async () => (await fetch(`${base}/health/live`)).ok, { timeoutMs: 90000, intervalMs: 200 });
  }, 120000);

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    await helper?.close();
  });

  it('exercises keys, rotation, revocation, HMAC and failures, then finds no credential in the logs', async () => {
    const admin = await createApiKey(helper.app, { role: 'admin', client_id: 'ops' });
    secrets.push(admin.api_key, admin.signing_secret);
    const created = (await (
      await fetch(`${base}/admin/keys`, {
        method: 'POST',
        headers: { 'x-api-key': admin.api_key, 'content-type': 'application/json' },
        body: JSON.stringify({ client_id: 'logged', name: 'k', role: 'client' }),
      })
    ).json()) as any;
    secrets.push(created.api_key, created.signing_secret);
    const use = (key: string, path = '/v1/users/log-u1', method = 'PUT') => fetch(`${base}${path}`, { method, headers: { 'x-api-key': key } });
    await use(created.api_key);
    await use(`${created.api_key.slice(0, -3)}zzz`);
    await fetch(`${base}/v1/users/log-u1?api_key=${encodeURIComponent(created.api_key)}&token=${created.signing_secret}`, {
      headers: { 'x-api-key': created.api_key },
    });
    const url = '/v1/users/log-u1?x=1';
    const headers = signedHeaders({ keyId: created.key_id, signingSecret: created.signing_secret, method: 'GET', url });
    secrets.push(headers['x-fgw-signature']);
    await fetch(`${base}${url}`, { headers });
    await fetch(`${base}${url}`, { headers }); // replay → 401
    const rotated = (await (
      await fetch(`${base}/admin/keys/${created.key_id}/rotate`, {
        method: 'POST',
        headers: { 'x-api-key': admin.api_key, 'content-type': 'application/json' },
        body: '{}',
      })
    ).json()) as any;
    secrets.push(rotated.api_key, rotated.signing_secret);
    await use(rotated.api_key, '/v1/users/log-u1', 'GET');
    await fetch(`${base}/admin/keys/${created.key_id}/revoke`, { method: 'POST', headers: { 'x-api-key': admin.api_key } });
    await use(rotated.api_key, '/v1/users/log-u1', 'GET');
    await new Promise((r) => setTimeout(r, 300));

    const text = output;
    // The capture really holds the process's logs, and the flow really ran.
    expect(text).toContain('api listening on');
    expect(created.api_key).toMatch(/^fgw_/);
    expect(rotated.api_key).toMatch(/^fgw_/);
    for (const secret of secrets) {
      expect(secret.length).toBeGreaterThan(20);
      // The whole credential and its secret part (after the key id) must both be absent.
      const secretPart = secret.startsWith('fgw_') ? secret.slice(17) : secret;
      expect({ secret: secret.slice(0, 8), found: text.includes(secret) || text.includes(secretPart) }).toEqual({
        secret: secret.slice(0, 8),
        found: false,
      });
    }
    expect(text).not.toMatch(/\$2[aby]\$\d\d\$/); // no bcrypt hash
  });
});
