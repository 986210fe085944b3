import { SecurityEvents } from '../../src/security-events/security-events.service';
import { ApiKeyChanges } from '../../src/auth/api-key.changes';
import { ApiKeyVerifier } from '../../src/auth/api-key.verifier';
import { AUTH_TEST_ENV, createApiKey } from '../support/factories/api-key.factory';
import { RedisProcess, waitFor } from '../support/processes';
import { startTestApp, type TestApp } from '../support/test-app';

/**
 * An admin revoke while Redis is down, over HTTP, with two API instances sharing a Redis of this file's own:
 * the revoke answers 200 with its audit record written, the instance that took it refuses the key at once,
 * and the other instance learns it once Redis is back (the announcement is retried until delivered). Its
 * verification cache TTL is 10 minutes here, so only the announcement can make it refuse the key in time.
 */
describe('admin revoke during a Redis outage', () => {
  let redis: RedisProcess;
  let a: TestApp;
  let b: TestApp;
  let redisDown = false;

  beforeAll(async () => {
    redis = await RedisProcess.start();
    const env = {
      ...AUTH_TEST_ENV,
      REDIS_URL: redis.url,
      AUTH_VERIFY_CACHE_TTL_MS: String(10 * 60_000),
      // Admin routes fail closed by default when the rate limiter cannot reach Redis; an operator who must
      // revoke a leaked key during an outage lets them through (docs/authentication.md).
      RATE_LIMIT_FAIL_OPEN_CLASSES: 'read,admin',
    };
    a = await startTestApp({ env });
    b = await startTestApp({ env });
  });
  afterAll(async () => {
    // Closing the apps needs Redis (queues, subscriptions) when a failed assertion left it stopped.
    if (redisDown) await redis.restart();
    await b?.app.close();
    await a?.close();
    await redis?.stop();
  });

  const call = (t: TestApp, method: string, path: string, key: string) => fetch(`${t.url}${path}`, { method, headers: { 'x-api-key': key } });

  it('answers 200 with the audit record written; the other instance refuses the key once Redis is back', async () => {
    const admin = await createApiKey(a.app, { role: 'admin' });
    const client = await createApiKey(a.app);
    // Both instances verify (and cache) what they will be asked for while Redis is down.
    expect((await call(a, 'GET', '/admin/keys?limit=1', admin.api_key)).status).toBe(200);
    expect((await call(b, 'PUT', '/v1/users/outage-u1', client.api_key)).status).toBe(200);
    expect((await call(b, 'GET', '/v1/users/outage-u1', client.api_key)).status).toBe(200);
    await a.app.get(ApiKeyVerifier).verifyApiKey(client.api_key);

    await redis.stop();
    redisDown = true;
    await waitFor(async () => (await fetch(`${a.url}/health/ready`)).status === 503, { timeoutMs: 15_000 });

    const revoked = await call(a, 'POST', `/admin/keys/${client.key_id}/revoke`, admin.api_key);
    expect(revoked.status).toBe(200);
    expect(((await revoked.json()) as { status: string }).status).toBe('revoked');
    const events = (await a.app.get(SecurityEvents).recent(/^auth\.key\.revoked$/)).filter((e) => e.target === client.key_id);
    expect(events).toHaveLength(1);
    expect(events[0].actor).toBe(`admin-key:${admin.key_id}`);
    // The instance that took the revoke refuses the key at once (it had cached it); the announcement waits for Redis.
    // (Asked of its service: in one process Passport's X-API-Key strategy is the last app's, so HTTP on `a` would ask b's.)
    await expect(a.app.get(ApiKeyVerifier).verifyApiKey(client.api_key)).rejects.toMatchObject({ reason: 'revoked' });
    expect(a.app.get(ApiKeyChanges).invalidations.undelivered()).toEqual([client.key_id]);
    // The other instance has not heard yet (its cached verification still answers).
    expect((await call(b, 'GET', '/v1/users/outage-u1', client.api_key)).status).toBe(200);

    await redis.restart();
    redisDown = false;
    await waitFor(async () => (await call(b, 'GET', '/v1/users/outage-u1', client.api_key)).status === 401, {
      timeoutMs: 30_000,
      intervalMs: 200,
    });
    await waitFor(async () => a.app.get(ApiKeyChanges).invalidations.undelivered().length === 0, { timeoutMs: 30_000 });
  }, 90_000);
});
