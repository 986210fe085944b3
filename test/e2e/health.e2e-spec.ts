import { RedisProcess, waitFor } from '../support/processes';
import { startTestApp, type TestApp } from '../support/test-app';

describe('health probes against real MongoDB (FerretDB) and a Redis we can stop', () => {
  let redis: RedisProcess;
  let t: TestApp;

  beforeAll(async () => {
    redis = await RedisProcess.start();
    // No readiness grace here: this file checks what the probe reports; the grace has its own test (outages-*).
    t = await startTestApp({ env: { REDIS_URL: redis.url, HEALTH_CHECK_TIMEOUT_MS: '500', HEALTH_READY_FAILURE_GRACE_MS: '0' } });
  });
  afterAll(async () => {
    await t?.close();
    await redis?.stop();
  });

  it('live is 200 without touching dependencies', async () => {
    const res = await fetch(`${t.url}/health/live`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('ready is 200 with MongoDB and Redis up, 503 naming Redis within 5 s of it stopping, 200 after it restarts', async () => {
    const up = await fetch(`${t.url}/health/ready`);
    expect(up.status).toBe(200);
    expect(await up.json()).toMatchObject({ details: { mongodb: { status: 'up' }, redis: { status: 'up' } } });

    await redis.stop();
    const stoppedAt = Date.now();
    const down = await waitFor(
      async () => {
        const res = await fetch(`${t.url}/health/ready`);
        return res.status === 503 ? res : undefined;
      },
      { timeoutMs: 5000 },
    );
    expect(Date.now() - stoppedAt).toBeLessThan(5000);
    expect(down.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const problem = (await down.json()) as any;
    expect(problem).toMatchObject({ type: 'urn:flickr-gateway:problem:not-ready', status: 503 });
    expect(problem.detail).toContain('redis');
    expect(problem.detail).not.toContain('mongodb');
    expect(problem.checks.redis.status).toBe('down');
    expect(problem.checks.mongodb.status).toBe('up');

    await redis.restart();
    await waitFor(async () => (await fetch(`${t.url}/health/ready`)).status === 200, { timeoutMs: 10000 });
  });
});
