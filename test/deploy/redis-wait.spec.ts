import { randomBytes } from 'node:crypto';
import { UploadJobRepository } from '../../src/uploads/upload-job.repository';
import { UploadLanesStore } from '../../src/uploads/upload-lanes.store';
import { UploadStagingStore } from '../../src/uploads/upload-staging.store';
import { FakeFlickr, REAL_FLICKR_ORIGINS } from '../../tools/sandbox-flickr/fake-flickr.server';
import { AUTH_TEST_ENV, createApiKey } from '../support/factories/api-key.factory';
import { startTestApp, type TestApp } from '../support/test-app';
import { connectUser, sendUpload, sharedKmsEnv } from '../support/uploads';
import { fakeFlickrEnv } from '../support/factories/flickr.factory';

/**
 * REDIS_WAIT_REPLICAS without a replica to confirm (the local Redis has none): an upload is refused with
 * 503 not-replicated and Retry-After, and nothing of it is kept (no job, no staged file, not counted).
 */
describe('upload durability check (REDIS_WAIT_REPLICAS)', () => {
  let fake: FakeFlickr;
  let t: TestApp;

  beforeAll(async () => {
    fake = await FakeFlickr.start({ origins: REAL_FLICKR_ORIGINS });
    t = await startTestApp({
      env: { ...AUTH_TEST_ENV, ...fakeFlickrEnv(fake), ...sharedKmsEnv(), RATE_LIMIT_ENABLED: 'false', REDIS_WAIT_REPLICAS: '1', REDIS_WAIT_TIMEOUT_MS: '100' },
    });
  });
  afterAll(async () => {
    await t.close();
    await fake.close();
  });

  it('refuses with 503 not-replicated and keeps nothing when no replica confirms', async () => {
    const key = await createApiKey(t.app);
    const user = `u-${randomBytes(3).toString('hex')}`;
    await connectUser(t.app, fake, key.client_id, user);
    const staged = await t.app.get(UploadStagingStore).count();

    const res = await sendUpload(t.url, key.api_key, user, { bytes: 4096 });
    expect(res.status).toBe(503);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.headers['retry-after']).toBe('30');
    expect(res.body).toMatchObject({ type: 'urn:flickr-gateway:problem:not-replicated', status: 503 });

    expect(await t.app.get(UploadStagingStore).count()).toEqual(staged);
    const jobs = t.app.get(UploadJobRepository);
    const unfinished = await jobs.findUnfinishedBefore(new Date(Date.now() + 60_000), 10_000);
    const records = await Promise.all(unfinished.map((j) => jobs.findById(j.job_id)));
    expect(records.filter((r) => r?.client_id === key.client_id)).toHaveLength(0);
    expect(await t.app.get(UploadLanesStore).counts(key.client_id)).toMatchObject({ client: 0 });
    expect(await t.app.get(UploadLanesStore).queuedTotal()).toBe(0);
  });
});
