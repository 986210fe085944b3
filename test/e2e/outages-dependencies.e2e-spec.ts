import type { IssuedApiKey } from '../../src/auth/api-key.view';
import { KeyInvalidationBus } from '../../src/auth/key-invalidation.bus';
import { FakeFlickr, REAL_FLICKR_ORIGINS } from '../../tools/sandbox-flickr/fake-flickr.server';
import { AUTH_TEST_ENV, createApiKey } from '../support/factories/api-key.factory';
import { connectViaOob, fakeFlickrEnv } from '../support/factories/flickr.factory';
import { getConnectionToken } from '@nestjs/mongoose';
import { Redis } from 'ioredis';
import type { Connection } from 'mongoose';
import { SlidingWindowStore } from '../../src/rate-limit/sliding-window.store';
import { FerretDBProcess, RedisProcess, waitFor } from '../support/processes';
import { startTestApp, type TestApp } from '../support/test-app';
import { sendUpload, sharedKmsEnv } from '../support/uploads';

/*
 * Redis and MongoDB (FerretDB) processes of this file's own, stopped and started under two running apps:
 * one with the default fail-open classes (only reads fail open when the limiter cannot count), one where
 * every class fails open, so the requests reach their own Redis and MongoDB calls.
 */
const REDIS_COMMAND_TIMEOUT_MS = 500;
const SERVER_SELECTION_TIMEOUT_MS = 1500;
const GRACE_MS = 3000;
// The documented bounds (docs/operations.md#timeouts): the store's wait plus 1 s; the test allows 1 s more.
const REDIS_BOUND_MS = REDIS_COMMAND_TIMEOUT_MS + 1000 + 1000;
const MONGO_BOUND_MS = SERVER_SELECTION_TIMEOUT_MS + 1000 + 1000;

const PROBLEM = 'urn:flickr-gateway:problem:';

interface Answer {
  route: string;
  status: number;
  ms: number;
  type?: string;
  contentType: string;
  retryAfter: string | null;
}

/**
 * The state of an app's connections, printed when a request is not answered at all: this file failed that way in 2
 * of 8 full-suite runs (GET user with both stores stopped, never alone, never reproduced), and the report says which
 * client held the request.
 */
function connectionsOf(t: TestApp): Record<string, unknown> {
  type Client = { status?: string; commandQueue?: { length: number }; offlineQueue?: { length: number }; _runningAutoPipelines?: Set<string>; _autoPipelines?: Map<string, unknown> };
  const state = (r: Client | undefined) =>
    r && { status: r.status, commandQueue: r.commandQueue?.length, offlineQueue: r.offlineQueue?.length, runningAutoPipelines: r._runningAutoPipelines?.size, autoPipelines: r._autoPipelines?.size };
  const mongoose = t.app.get<Connection>(getConnectionToken(), { strict: false });
  const topology = (mongoose.getClient() as unknown as { topology?: { description?: { type?: string } } }).topology;
  return {
    mongooseReadyState: mongoose.readyState,
    mongoTopology: topology?.description?.type,
    redisApp: state(t.app.get(Redis, { strict: false }) as unknown as Client),
    redisRateLimit: state((t.app.get(SlidingWindowStore, { strict: false }) as unknown as { redis: Client }).redis),
  };
}

describe('dependency outages are answers, not hangs (own Redis and FerretDB)', () => {
  let redis: RedisProcess;
  let mongo: FerretDBProcess;
  let fake: FakeFlickr;
  /** Default classes: reads fail open, writes/uploads/admin fail closed when the limiter cannot count. */
  let strict: TestApp;
  /** Every class fails open: requests go on to their own Redis and MongoDB calls. */
  let open: TestApp;
  const keys = new Map<TestApp, { client: IssuedApiKey; admin: IssuedApiKey; jobId: string }>();
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    [redis, mongo, fake] = await Promise.all([RedisProcess.start(), FerretDBProcess.start(), FakeFlickr.start({ origins: REAL_FLICKR_ORIGINS })]);
    const env = {
      ...AUTH_TEST_ENV,
      ...fakeFlickrEnv(fake),
      ...sharedKmsEnv(),
      REDIS_URL: redis.url,
      MONGODB_URI: mongo.uri,
      REDIS_COMMAND_TIMEOUT_MS: String(REDIS_COMMAND_TIMEOUT_MS),
      MONGODB_SERVER_SELECTION_TIMEOUT_MS: String(SERVER_SELECTION_TIMEOUT_MS),
      HEALTH_READY_FAILURE_GRACE_MS: String(GRACE_MS),
      HEALTH_CHECK_TIMEOUT_MS: '500',
      RATE_LIMIT_FAIL_OPEN_CLASSES: 'read',
      // Each replica's copy of users' connection state outlives the test's phases, so which reads need the
      // database does not depend on timing: with it, a cached proxy read needs none (issue 15).
      USERS_CONNECTION_CACHE_TTL_MS: '60000',
      // No in-process copy of cached answers: a Redis outage must show what the shared cache's absence costs (a trip
      // to Flickr). The copy only makes hot reads cheaper (test/integration/flickr-api.int-spec.ts).
      FLICKR_CACHE_LOCAL_TTL_MS: '0',
    };
    strict = await startTestApp({ env });
    // Its share of Flickr calls while the shared budget is unreachable: the three proxied calls of one round.
    open = await startTestApp({ env: { ...env, RATE_LIMIT_FAIL_OPEN_CLASSES: 'read,write,upload,admin', FLICKR_BUDGET_FALLBACK_LIMIT: '3' } });
    for (const t of [strict, open]) {
      const client = await createApiKey(t.app);
      const admin = await createApiKey(t.app, { role: 'admin' });
      await connectViaOob(t.url, client.api_key, 'connected');
      for (const user of ['spare', 'victim']) expect((await fetch(`${t.url}/v1/users/${user}`, { method: 'PUT', headers: { 'x-api-key': client.api_key } })).status).toBe(200);
      const upload = await sendUpload(t.url, client.api_key, 'connected', { bytes: 2048 });
      expect(upload.status).toBe(202);
      keys.set(t, { client, admin, jobId: upload.body.job_id as string });
    }
  }, 120_000);

  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    // A failed test may have left a server stopped: bring it back so the apps can clean up after themselves.
    if (redis && !redis.running) await redis.restart().catch(() => undefined);
    if (mongo && !mongo.running) await mongo.restart().catch(() => undefined);
    await open?.close();
    await strict?.close();
    await fake?.close();
    await redis?.stop();
    await mongo?.remove();
  }, 120_000);

  /** Every route of the brief, once, timed from the moment it is sent. */
  async function everyRoute(t: TestApp): Promise<Record<string, Answer>> {
    const { client, admin, jobId } = keys.get(t)!;
    const headers = { 'x-api-key': client.api_key };
    const flickr = (method: string, body: Record<string, string>, extra: Record<string, string> = {}) =>
      fetch(`${t.url}/v1/users/connected/flickr/${method}`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json', ...extra },
        body: JSON.stringify(body),
      });
    const routes: Record<string, () => Promise<{ status: number; headers: Headers | Record<string, unknown>; body: unknown }>> = {
      'GET user': () => fetch(`${t.url}/v1/users/connected`, { headers }).then(read),
      'PUT user': () => fetch(`${t.url}/v1/users/spare`, { method: 'PUT', headers }).then(read),
      'DELETE user': () => fetch(`${t.url}/v1/users/victim`, { method: 'DELETE', headers }).then(read),
      'Flickr cached read': () => flickr('flickr.people.getInfo', { user_id: '12345678@N00' }).then(read),
      'Flickr uncached read': () => flickr('flickr.test.login', {}, { 'cache-control': 'no-cache' }).then(read),
      'Flickr write': () => flickr('flickr.photosets.create', { title: 'outage', primary_photo_id: '1' }).then(read),
      'POST upload': () => sendUpload(t.url, client.api_key, 'connected', { bytes: 2048 }).then((r) => ({ status: r.status, headers: r.headers, body: r.body })),
      'GET upload': () => fetch(`${t.url}/v1/uploads/${jobId}`, { headers }).then(read),
      'admin keys list': () => fetch(`${t.url}/admin/keys`, { headers: { 'x-api-key': admin.api_key } }).then(read),
    };
    const answers = await Promise.all(
      Object.entries(routes).map(async ([route, send]) => {
        const started = Date.now();
        // A hang is reported as status 0 after 20 s (far past any bound) instead of stalling the test, with the state
        // of the app's connections at that moment.
        let timer: NodeJS.Timeout | undefined;
        const r = await Promise.race([
          // An answer (or an error) cancels the report.
          send().finally(() => clearTimeout(timer)),
          new Promise<{ status: number; headers: Record<string, unknown>; body: unknown }>((resolve) => {
            timer = setTimeout(() => {
              console.error(`[outages] ${route} not answered within 20 s (app ${t === strict ? 'strict' : 'open'}): ${JSON.stringify(connectionsOf(t))}`);
              resolve({ status: 0, headers: {}, body: undefined });
            }, 20_000).unref();
          }),
        ]);
        const ms = Date.now() - started;
        const header = (name: string) => (r.headers instanceof Headers ? r.headers.get(name) : ((r.headers[name] as string | undefined) ?? null));
        const answer: Answer = {
          route,
          status: r.status,
          ms,
          type: (r.body as { type?: string } | undefined)?.type,
          contentType: header('content-type') ?? '',
          retryAfter: header('retry-after'),
        };
        return [route, answer] as const;
      }),
    );
    return Object.fromEntries(answers);
  }

  /** Asserts a 503 problem+json with Retry-After of one of `types`, within `boundMs`. */
  function expectRefused(answer: Answer, types: string[], boundMs: number): void {
    expect({ route: answer.route, status: answer.status, problem: answer.contentType.startsWith('application/problem+json') }).toEqual({
      route: answer.route,
      status: 503,
      problem: true,
    });
    expect({ route: answer.route, type: types.map((t) => PROBLEM + t).includes(answer.type ?? '') ? 'expected' : answer.type }).toEqual({ route: answer.route, type: 'expected' });
    expect({ route: answer.route, retryAfter: Number(answer.retryAfter) >= 1 }).toEqual({ route: answer.route, retryAfter: true });
    expectWithin(answer, boundMs);
  }

  function expectServed(answer: Answer, status: number, boundMs: number): void {
    expect({ route: answer.route, status: answer.status, type: answer.type }).toEqual({ route: answer.route, status, type: undefined });
    expectWithin(answer, boundMs);
  }

  function expectWithin(answer: Answer, boundMs: number): void {
    expect({ route: answer.route, withinBound: answer.ms <= boundMs, ms: answer.ms }).toEqual({ route: answer.route, withinBound: true, ms: answer.ms });
  }

  /** Readiness over time after a stop: 200 (degraded) until the grace has passed, then 503 naming the dependency. */
  async function expectReadinessGrace(t: TestApp, dependency: 'redis' | 'mongodb', stoppedAt: number): Promise<void> {
    const seen: Array<{ status: number; dependency?: string; at: number }> = [];
    const flipped = await waitFor(
      async () => {
        const res = await fetch(`${t.url}/health/ready`);
        const body = (await res.json()) as { details?: Record<string, { status: string }>; checks?: Record<string, { status: string }> };
        seen.push({ status: res.status, dependency: (body.details ?? body.checks)?.[dependency]?.status, at: Date.now() });
        return res.status === 503 ? { body, at: Date.now() } : undefined;
      },
      { timeoutMs: GRACE_MS + 15_000, intervalMs: 200 },
    );
    // Before the flip: still 200, the dependency reported as degraded (down, within the grace).
    expect(seen.filter((s) => s.status === 200 && s.dependency === 'degraded').length).toBeGreaterThan(0);
    expect(seen.filter((s) => s.status !== 200 && s.status !== 503)).toEqual([]);
    // The flip needs GRACE_MS of failures, all observed after the stop.
    expect(flipped.at - stoppedAt).toBeGreaterThanOrEqual(GRACE_MS);
    expect(flipped.body.checks?.[dependency]?.status).toBe('down');
  }

  /** What every route answers when both stores are up (the Flickr write names a photo the fake does not hold: Flickr's code 2, 422 flickr-error). */
  const SERVING = {
    'GET user': 200,
    'PUT user': 200,
    'DELETE user': 204,
    'Flickr cached read': 200,
    'Flickr uncached read': 200,
    'Flickr write': 422,
    'POST upload': 202,
    'GET upload': 200,
    'admin keys list': 200,
  };
  const statuses = (answers: Record<string, Answer>) => Object.fromEntries(Object.values(answers).map((a) => [a.route, a.status]));

  async function expectServingAgain(): Promise<void> {
    for (const t of [strict, open]) {
      await waitFor(async () => (await fetch(`${t.url}/health/ready`)).status === 200, { timeoutMs: 30_000, intervalMs: 200 });
      // The connections come back by themselves (each on its own reconnect schedule): no restart of the app.
      let last: Record<string, Answer> = {};
      await waitFor(
        async () => {
          last = await everyRoute(t);
          return JSON.stringify(statuses(last)) === JSON.stringify(SERVING);
        },
        { timeoutMs: 30_000, intervalMs: 500 },
      ).catch(() => undefined);
      expect(statuses(last)).toEqual(SERVING);
      expect(last['Flickr write'].type).toBe(`${PROBLEM}flickr-error`);
      // Re-register the erased user, so the next phase has one to erase.
      expect((await fetch(`${t.url}/v1/users/victim`, { method: 'PUT', headers: { 'x-api-key': keys.get(t)!.client.api_key } })).status).toBe(200);
    }
  }

  it('with Redis stopped: every route answers within the bound, 503 + Retry-After or its documented fallback; readiness flips only after the grace', async () => {
    // Prime the cache of the read that is answered from it while Redis is up.
    for (const t of [strict, open]) expect((await everyRoute(t))['Flickr cached read'].status).toBe(200);
    const flickrCallsBefore = fake.count('flickr.people.getInfo');

    await redis.stop();
    const stoppedAt = Date.now();
    // The request path answers at once, long before readiness gives up on Redis.
    const strictAnswers = await everyRoute(strict);
    const openAnswers = await everyRoute(open);
    expect(Date.now() - stoppedAt).toBeLessThan(GRACE_MS);

    // Default classes: reads fail open (and their caches only cost a trip to Flickr), everything else 503.
    expectServed(strictAnswers['GET user'], 200, REDIS_BOUND_MS);
    expectServed(strictAnswers['GET upload'], 200, REDIS_BOUND_MS);
    expectServed(strictAnswers['Flickr cached read'], 200, REDIS_BOUND_MS);
    expectServed(strictAnswers['Flickr uncached read'], 200, REDIS_BOUND_MS);
    for (const route of ['PUT user', 'DELETE user', 'Flickr write', 'POST upload', 'admin keys list']) {
      expectRefused(strictAnswers[route], ['rate-limiter-unavailable'], REDIS_BOUND_MS);
    }
    // Every class open: what needs no Redis is served; what needs Redis with no fallback is 503 redis-unavailable.
    expectServed(openAnswers['GET user'], 200, REDIS_BOUND_MS);
    expectServed(openAnswers['PUT user'], 200, REDIS_BOUND_MS);
    expectServed(openAnswers['GET upload'], 200, REDIS_BOUND_MS);
    expectServed(openAnswers['admin keys list'], 200, REDIS_BOUND_MS);
    expectServed(openAnswers['Flickr cached read'], 200, REDIS_BOUND_MS);
    expectServed(openAnswers['Flickr uncached read'], 200, REDIS_BOUND_MS);
    // Flickr's own answer (code 2: the fake has no such primary photo, 422 flickr-error): the budget let the call go,
    // counted against this process's share.
    expectWithin(openAnswers['Flickr write'], REDIS_BOUND_MS);
    expect(openAnswers['Flickr write']).toMatchObject({ status: 422, type: `${PROBLEM}flickr-error` });
    expectRefused(openAnswers['DELETE user'], ['redis-unavailable'], REDIS_BOUND_MS); // erasure must purge the cache
    expectRefused(openAnswers['POST upload'], ['redis-unavailable'], REDIS_BOUND_MS); // the upload lanes live in Redis
    // The cached reads were answered by Flickr, the cache being unreachable.
    expect(fake.count('flickr.people.getInfo')).toBe(flickrCallsBefore + 2);
    // The budget's fallback is bounded: the open app has spent its local share of 3, the next call is not made.
    const callsNow = fake.requests.length;
    const overShare = await fetch(`${open.url}/v1/users/connected/flickr/flickr.test.login`, {
      method: 'POST',
      headers: { 'x-api-key': keys.get(open)!.client.api_key, 'content-type': 'application/json', 'cache-control': 'no-cache' },
      body: '{}',
    });
    expect(overShare.status).toBe(503);
    expect(Number(overShare.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await overShare.json()).toMatchObject({ type: `${PROBLEM}flickr-budget-exhausted` });
    expect(fake.requests.length).toBe(callsNow);

    // Telling other replicas that a key changed is bounded too: it fails, it does not wait for Redis.
    const publishStarted = Date.now();
    await expect(strict.app.get(KeyInvalidationBus).publish('some-key')).rejects.toThrow();
    expect(Date.now() - publishStarted).toBeLessThanOrEqual(REDIS_BOUND_MS);

    await expectReadinessGrace(strict, 'redis', stoppedAt);

    await redis.restart();
    await expectServingAgain();
  }, 120_000);

  it('with MongoDB stopped: every route answers 503 database-unavailable with Retry-After within the bound (Flickr calls of a user the replica holds are served); readiness flips only after the grace', async () => {
    await mongo.stop();
    const stoppedAt = Date.now();
    const strictAnswers = await everyRoute(strict);
    const openAnswers = await everyRoute(open);
    for (const answers of [strictAnswers, openAnswers]) {
      for (const answer of Object.values(answers)) {
        // A Flickr call for a user this replica holds in its connection cache, with its sealed token kept, touches no
        // database (test/e2e/hot-path.e2e-spec.ts): a read answered from the response cache, a read that goes to
        // Flickr and a write (Flickr's own answer: code 2, 422) are all served through the outage.
        if (answer.route === 'Flickr cached read' || answer.route === 'Flickr uncached read') expectServed(answer, 200, MONGO_BOUND_MS);
        else if (answer.route === 'Flickr write') expect(answer).toMatchObject({ status: 422, type: `${PROBLEM}flickr-error` });
        else expectRefused(answer, ['database-unavailable'], MONGO_BOUND_MS);
      }
    }
    await expectReadinessGrace(open, 'mongodb', stoppedAt);

    await mongo.restart();
    await expectServingAgain();
  }, 120_000);

  it('with both stopped: still answers within the bound (503 + Retry-After), and serves again once both are back', async () => {
    await Promise.all([redis.stop(), mongo.stop()]);
    for (const t of [strict, open]) {
      const answers = await everyRoute(t);
      for (const answer of Object.values(answers)) {
        if (answer.route.startsWith('Flickr') && (t === open || answer.route !== 'Flickr write')) {
          // The replica holds the user and its sealed token (UserConnectionCache, UserTokenCache), so a Flickr call
          // that gets past the limiter needs neither store: it goes to Flickr under this process's fallback share of
          // the budget. The strict app's share is the default (its write stops at the limiter, below); the open app
          // spent its share of 3 in the first test, so Flickr is not called.
          if (t === strict) expectServed(answer, 200, MONGO_BOUND_MS);
          else expectRefused(answer, ['flickr-budget-exhausted'], MONGO_BOUND_MS);
        } else if (['GET user', 'GET upload'].includes(answer.route) || t === open) {
          // Reads (and everything on the all-open app) get past the limiter and stop at the database or Redis.
          expectRefused(answer, ['database-unavailable', 'redis-unavailable'], MONGO_BOUND_MS);
        } else {
          expectRefused(answer, ['rate-limiter-unavailable'], REDIS_BOUND_MS);
        }
      }
    }
    await Promise.all([redis.restart(), mongo.restart()]);
    await expectServingAgain();
    expect(unhandled).toEqual([]);
  }, 120_000);
});

async function read(res: Response): Promise<{ status: number; headers: Headers; body: unknown }> {
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = text;
  }
  return { status: res.status, headers: res.headers, body };
}
