import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { freePort, waitFor } from '../support/processes';

const ROOT = join(__dirname, '..', '..');

/** Runs a TypeScript entrypoint as its own process, the way `node dist/...` would. */
function run(entry: string, env: Record<string, string>): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  let output = '';
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', join(ROOT, entry)], {
    cwd: ROOT,
    env: { ...process.env, NODE_OPTIONS: '', TS_NODE_PROJECT: join(ROOT, 'tsconfig.json'), LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d) => (output += String(d)));
  child.stderr?.on('data', (d) => (output += String(d)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

describe('the API as a process', () => {
  it('exits non-zero naming every invalid variable', async () => {
    const p = run('src/main.ts', { PORT: 'not-a-port', LOG_LEVEL: 'loud', SHUTDOWN_GRACE_MS: '5' });
    expect(await p.exited).toBe(1);
    expect(p.output()).toContain('Invalid configuration');
    expect(p.output()).toMatch(/PORT: /);
    expect(p.output()).toMatch(/LOG_LEVEL: /);
    expect(p.output()).toMatch(/SHUTDOWN_GRACE_MS: /);
    expect(p.output()).not.toMatch(/\bat .+\.(ts|js):\d+/);
  });

  it('refuses NODE_ENV=production with CORS_ORIGINS=*', async () => {
    const p = run('src/main.ts', {
      NODE_ENV: 'production',
      CORS_ORIGINS: '*',
      MONGODB_URI: process.env.MONGODB_URI!,
      REDIS_URL: process.env.REDIS_URL!,
    });
    expect(await p.exited).toBe(1);
    expect(p.output()).toMatch(/CORS_ORIGINS: wildcard origins are refused in production/);
  });

  it('on SIGTERM: readiness 503 while draining, the in-flight slow request completes, exit 0', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const p = run('test/fixtures/slow-api.ts', {
      PORT: String(port),
      SHUTDOWN_DRAIN_DELAY_MS: '1500',
      SHUTDOWN_GRACE_MS: '20000',
    });
    await waitFor(async () => (await fetch(`${base}/health/ready`)).status === 200, { timeoutMs: 30000 });

    const slow = fetch(`${base}/v1/__fixture/slow?ms=3000`);
    await new Promise((r) => setTimeout(r, 300)); // the slow request is in flight
    p.child.kill('SIGTERM');

    const draining = await waitFor(async () => {
      const res = await fetch(`${base}/health/ready`);
      return res.status === 503 ? res : undefined;
    });
    expect(((await draining.json()) as { type: string }).type).toBe('urn:flickr-gateway:problem:not-ready');

    const slowRes = await slow;
    expect(slowRes.status).toBe(200);
    expect(await slowRes.json()).toEqual({ waited: 3000 });
    const code = await p.exited;
    if (code !== 0) process.stderr.write(p.output());
    expect(code).toBe(0);
    expect(p.output()).toContain('SIGTERM: draining');
    expect(p.output()).toMatch(/"msg":"complete"/);
  });

  it('boots the worker as its own process with probes and metrics, and stops it cleanly', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const p = run('src/worker.ts', { WORKER_PORT: String(port), SHUTDOWN_DRAIN_DELAY_MS: '0' });
    await waitFor(async () => (await fetch(`${base}/health/ready`)).status === 200, { timeoutMs: 30000 });
    expect((await fetch(`${base}/health/live`)).status).toBe(200);
    expect(await (await fetch(`${base}/metrics`)).text()).toContain('process_cpu_user_seconds_total');
    // The worker exposes no API routes and no Swagger UI.
    expect((await fetch(`${base}/docs`)).status).toBe(404);
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
  });

  it('logs each request as one JSON line carrying the request id, with secrets redacted', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const p = run('src/main.ts', { PORT: String(port), SHUTDOWN_DRAIN_DELAY_MS: '0' });
    await waitFor(async () => (await fetch(`${base}/health/live`)).status === 200, { timeoutMs: 30000 });
    await fetch(`${base}/v1/users/u-1?oauth_token=QUERYSECRET`, {
      headers: { 'x-request-id': 'trace-me-12345', 'x-api-key': 'fgw_abcdefabcdef_HEADERSECRET' },
    });
    const line = await waitFor(async () =>
      p
        .output()
        .split('\n')
        .find((l) => l.includes('"requestId":"trace-me-12345"') && l.includes('request completed')),
    );
    const entry = JSON.parse(line) as { req: { url: string; headers: Record<string, string> }; res: { statusCode: number } };
    expect(entry.res.statusCode).toBe(401);
    expect(entry.req.url).toContain('/v1/users/u-1');
    expect(p.output()).not.toContain('HEADERSECRET');
    expect(p.output()).not.toContain('QUERYSECRET');
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
  });
});
