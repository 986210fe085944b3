import { FakeFlickr, REAL_FLICKR_ORIGINS } from '../../tools/sandbox-flickr/fake-flickr.server';
import { type ApiProcess, startApiProcess } from '../support/api-process';
import { AUTH_TEST_ENV, createApiKey } from '../support/factories/api-key.factory';
import { connectViaOob, fakeFlickrEnv } from '../support/factories/flickr.factory';
import { startTestApp, type TestApp } from '../support/test-app';
import { sharedKmsEnv } from '../support/uploads';

const PROBLEM = 'urn:flickr-gateway:problem:';
const OPEN_MS = 6000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The circuit breaker is shared through Redis: three 429s seen by one replica (the in-process app) make a
 * second replica (its own process, same Redis and database) refuse without calling Flickr, until the open
 * period ends and one probe closes it for both.
 */
describe('the circuit breaker is shared by all replicas', () => {
  let fake: FakeFlickr;
  let t: TestApp;
  let second: ApiProcess;
  let apiKey: string;
  const kms = sharedKmsEnv();
  const env = () => ({
    ...AUTH_TEST_ENV,
    ...fakeFlickrEnv(fake),
    ...kms,
    FLICKR_BREAKER_THRESHOLD: '3',
    FLICKR_BREAKER_OPEN_MS: String(OPEN_MS),
    RATE_LIMIT_ENABLED: 'false',
  });
  const call = (base: string, method: string, body: Record<string, unknown> = {}) =>
    fetch(`${base}/v1/users/u-1/flickr/${method}`, {
      method: 'POST',
      headers: { 'x-api-key': apiKey, 'content-type': 'application/json', 'cache-control': 'no-cache' },
      body: JSON.stringify(body),
    });

  beforeAll(async () => {
    fake = await FakeFlickr.start({ origins: REAL_FLICKR_ORIGINS });
    t = await startTestApp({ env: env() });
    second = await startApiProcess(env());
    apiKey = (await createApiKey(t.app)).api_key;
    await connectViaOob(t.url, apiKey, 'u-1');
  }, 120_000);
  afterAll(async () => {
    await second?.stop();
    await t?.close();
    await fake?.close();
  });

  it('three 429s on replica 1 → replica 2 answers 503 flickr-circuit-open with Retry-After and sends nothing; one probe closes it for both', async () => {
    // Both replicas serve while the breaker is closed.
    expect((await call(second.url, 'flickr.test.login')).status).toBe(200);

    fake.rateLimit({ match: 'flickr.test.login', times: 3 });
    const seen: Array<[number, string | null]> = [];
    for (let i = 0; i < 3; i++) {
      const res = await call(t.url, 'flickr.test.login');
      seen.push([res.status, res.headers.get('retry-after')]);
    }
    // Flickr's 429s, answered 503 flickr-error; the third opened the breaker: its Retry-After is the open period.
    expect(seen).toEqual([
      [503, '30'],
      [503, '30'],
      [503, String(OPEN_MS / 1000)],
    ]);

    const before = fake.calls();
    for (const method of ['flickr.test.login', 'flickr.people.getInfo']) {
      const refused = await call(second.url, method, method === 'flickr.people.getInfo' ? { user_id: '12345678@N00' } : {});
      expect(refused.status).toBe(503);
      const retryAfter = Number(refused.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(OPEN_MS / 1000);
      expect(await refused.json()).toMatchObject({ type: `${PROBLEM}flickr-circuit-open` });
    }
    // The replica that saw the 429s refuses as well.
    expect((await call(t.url, 'flickr.test.login')).status).toBe(503);
    expect(fake.calls()).toBe(before);

    await sleep(OPEN_MS + 300);
    // Half-open: the second replica's call is the probe; Flickr answers, the breaker closes for both.
    expect((await call(second.url, 'flickr.test.login')).status).toBe(200);
    expect(fake.calls()).toBe(before + 1);
    expect((await call(t.url, 'flickr.test.login')).status).toBe(200);
    expect(fake.calls()).toBe(before + 2);
  });
});
