import { randomBytes } from 'node:crypto';
import { FixtureController } from '../fixtures/fixture.controller';
import { RedisProcess, waitFor } from '../support/processes';
import { startTestApp, type TestApp } from '../support/test-app';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('rate limits shared by two app instances (real Redis)', () => {
  let a: TestApp;
  let b: TestApp;
  const env = {
    RATE_LIMIT_IP_LIMIT: '20',
    RATE_LIMIT_IP_WINDOW_MS: '60000',
    RATE_LIMIT_USER_READ_LIMIT: '4',
    RATE_LIMIT_USER_UPLOAD_LIMIT: '2',
  };

  beforeAll(async () => {
    a = await startTestApp({ env, controllers: [FixtureController] });
    b = await startTestApp({ env, controllers: [FixtureController] });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('admits exactly N of 50 concurrent requests from one source, across both instances', async () => {
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => fetch(`${(i % 2 ? a : b).url}/v1/__fixture/items/${i}`)),
    );
    const ok = results.filter((r) => r.status === 200);
    const limited = results.filter((r) => r.status === 429);
    expect(ok).toHaveLength(20);
    expect(limited).toHaveLength(30);

    const problem = (await limited[0].json()) as Record<string, unknown>;
    expect(limited[0].headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(problem).toMatchObject({ type: 'urn:flickr-gateway:problem:rate-limited', status: 429, scope: 'ip' });
    expect(Number(limited[0].headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(limited[0].headers.get('ratelimit-limit')).toBe('20');
    expect(limited[0].headers.get('ratelimit-remaining')).toBe('0');
    expect(ok[0].headers.get('ratelimit-limit')).toBe('20');
    expect(Number(ok[0].headers.get('ratelimit-remaining'))).toBeLessThan(20);
    expect(Number(ok[0].headers.get('ratelimit-reset'))).toBeGreaterThan(0);
  });

  it('never limits health and metrics', async () => {
    for (const path of ['/health/live', '/health/ready', '/metrics']) {
      const res = await fetch(`${a.url}${path}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('ratelimit-limit')).toBeNull();
    }
  });

  it('counts refusals in rate_limit_hits_total by scope and class', async () => {
    const metrics = await (await fetch(`${a.url}/metrics`)).text();
    expect(metrics).toMatch(/rate_limit_hits_total\{scope="ip",class="read"\} \d+/);
  });
});

describe('per-user quotas by class, and Retry-After', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      env: {
        RATE_LIMIT_IP_LIMIT: '1000',
        RATE_LIMIT_USER_READ_LIMIT: '3',
        RATE_LIMIT_USER_UPLOAD_LIMIT: '2',
        RATE_LIMIT_USER_WINDOW_MS: '2500',
      },
      controllers: [FixtureController],
    });
  });
  afterAll(async () => t?.close());

  const read = (user: string) => fetch(`${t.url}/v1/__fixture/users/${user}/photos`);
  const upload = (user: string) =>
    fetch(`${t.url}/v1/__fixture/users/${user}/uploads`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });

  it('keeps read and upload quotas of one user_id independent', async () => {
    const user = `u-${randomBytes(3).toString('hex')}`;
    expect([(await upload(user)).status, (await upload(user)).status, (await upload(user)).status]).toEqual([201, 201, 429]);
    // The upload quota is exhausted; reads are untouched.
    expect([(await read(user)).status, (await read(user)).status, (await read(user)).status, (await read(user)).status]).toEqual([
      200, 200, 200, 429,
    ]);
    // And another user is untouched by both.
    expect((await read(`${user}-other`)).status).toBe(200);
  });

  it('a client that waits exactly Retry-After seconds succeeds', async () => {
    const user = `u-${randomBytes(3).toString('hex')}`;
    await read(user);
    await read(user);
    await read(user);
    const limited = await read(user);
    expect(limited.status).toBe(429);
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(3);
    await sleep(retryAfter * 1000);
    expect((await read(user)).status).toBe(200);
  });
});

describe('when Redis is unreachable', () => {
  let redis: RedisProcess;
  let t: TestApp;
  beforeAll(async () => {
    redis = await RedisProcess.start();
    // Readiness without grace: it is this test's signal that the app has seen Redis go.
    t = await startTestApp({ env: { REDIS_URL: redis.url, RATE_LIMIT_FAIL_OPEN_CLASSES: 'read', HEALTH_READY_FAILURE_GRACE_MS: '0' }, controllers: [FixtureController] });
  });
  afterAll(async () => {
    await t?.close();
    await redis?.stop();
  });

  it('reads fail open (counted in a metric), uploads fail closed with 503', async () => {
    expect((await fetch(`${t.url}/v1/__fixture/users/u1/photos`)).status).toBe(200);
    await redis.stop();
    await waitFor(async () => (await fetch(`${t.url}/health/ready`)).status === 503);
    expect((await fetch(`${t.url}/v1/__fixture/users/u1/photos`)).status).toBe(200);
    const upload = await fetch(`${t.url}/v1/__fixture/users/u1/uploads`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(upload.status).toBe(503);
    expect(((await upload.json()) as { type: string }).type).toBe('urn:flickr-gateway:problem:rate-limiter-unavailable');
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    expect(metrics).toMatch(/rate_limit_store_errors_total\{class="read",outcome="allowed"\} [1-9]/);
    expect(metrics).toMatch(/rate_limit_store_errors_total\{class="upload",outcome="refused"\} [1-9]/);
    await redis.restart();
  });
});
