import type { FakeFlickr } from '../../tools/sandbox-flickr/fake-flickr.server';
import { createApiKey } from '../support/factories/api-key.factory';
import { connectViaOob } from '../support/factories/flickr.factory';
import { type TestApp } from '../support/test-app';
import { startAppOnFakeFlickr } from '../support/fake-flickr-app';

const TIMEOUT_MS = 300;
const SLOW_MS = 1500;

/**
 * A Flickr that stops answering, seen through the whole gateway (issue 15's transport: one deadline per
 * exchange, FLICKR_TIMEOUT_MS). Each call ends as a 504 problem with the request id, reads are retried and
 * writes are not, a burst of hung calls does not take the process or its connection pool down, and the next
 * call after Flickr recovers is answered.
 */
describe('a Flickr that does not answer in time', () => {
  let fake: FakeFlickr;
  let t: TestApp;
  let apiKey: string;
  const call = (method: string, body: Record<string, unknown> = {}) =>
    fetch(`${t.url}/v1/users/slow-1/flickr/${method}`, {
      method: 'POST',
      headers: { 'x-api-key': apiKey, 'content-type': 'application/json', 'cache-control': 'no-cache' },
      body: JSON.stringify(body),
    });
  const attempts = (method: string) => fake.callsTo(method);

  beforeAll(async () => {
    ({ fake, t } = await startAppOnFakeFlickr({
      FLICKR_TIMEOUT_MS: String(TIMEOUT_MS),
      FLICKR_READ_RETRIES: '1',
      FLICKR_RETRY_BASE_MS: '10',
      // Timeouts are not 429s: the breaker must not be what answers here.
      FLICKR_BREAKER_THRESHOLD: '1000',
    }));
    apiKey = (await createApiKey(t.app)).api_key;
    await connectViaOob(t.url, apiKey, 'slow-1');
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  it('a read that Flickr holds past the deadline: 504 problem+json with the request id, after one retry', async () => {
    const before = attempts('flickr.test.login');
    fake.inject({ match: 'flickr.test.login', delayMs: SLOW_MS, times: 2 });
    const res = await call('flickr.test.login');
    expect(res.status).toBe(504);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const body = await res.json();
    expect(body).toMatchObject({ type: 'urn:flickr-gateway:problem:flickr-error', status: 504, requestId: res.headers.get('x-request-id') });
    expect(JSON.stringify(body)).not.toMatch(/at \w+ \(|node_modules|TimeoutError|AbortError/); // no stack, no internals
    expect(attempts('flickr.test.login') - before).toBe(2); // the read and its one retry
  });

  it('a write is not retried after a timeout (it may have happened)', async () => {
    const photo = fake.addPhoto({ owner: '12345678@N00' });
    const before = attempts('flickr.photos.addTags');
    fake.inject({ match: 'flickr.photos.addTags', delayMs: SLOW_MS, times: 1 });
    const res = await call('flickr.photos.addTags', { photo_id: photo.id, tags: 'late' });
    expect(res.status).toBe(504);
    expect(attempts('flickr.photos.addTags') - before).toBe(1);
  });

  it('twenty hung calls at once all end as 504, and the next call after Flickr recovers is answered', async () => {
    fake.inject({ match: 'flickr.test.login', delayMs: SLOW_MS, times: 40 });
    const statuses = await Promise.all(Array.from({ length: 20 }, () => call('flickr.test.login').then((r) => r.status)));
    expect(statuses).toEqual(Array(20).fill(504));
    fake.clearFaults();
    const ok = await call('flickr.test.login');
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ stat: 'ok' });
    expect((await fetch(`${t.url}/health/live`)).status).toBe(200);
  });
});
