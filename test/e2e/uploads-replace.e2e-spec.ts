import { randomBytes } from 'node:crypto';
import type { IssuedApiKey } from '../../src/auth/api-key.view';
import { UploadJobRepository } from '../../src/uploads/upload-job.repository';
import { UploadStagingStore } from '../../src/uploads/upload-staging.store';
import { UserConnectionService } from '../../src/users/user-connection.service';
import { UserOwnershipService } from '../../src/users/user-ownership.service';
import { FakeFlickr, REAL_FLICKR_ORIGINS } from '../../tools/sandbox-flickr/fake-flickr.server';
import { createApiKey } from '../support/factories/api-key.factory';
import type { AppProcess } from '../support/api-process';
import { waitFor } from '../support/processes';
import { startReplica, startTestApp, type TestApp } from '../support/test-app';
import { connectedClient, fastUploadEnv, sendReplace, sendUpload, startWorker } from '../support/uploads';

/** Replace over HTTP → GridFS → lanes → Bull → a real worker process → the fake Flickr's replace endpoint. */
describe('replacing a photo through the job queue', () => {
  let fake: FakeFlickr;
  let t: TestApp;
  let env: Record<string, string>;
  let worker: AppProcess | undefined;

  beforeAll(async () => {
    fake = await FakeFlickr.start({ origins: REAL_FLICKR_ORIGINS });
    env = fastUploadEnv(fake);
    t = await startTestApp({ env });
  });
  afterAll(async () => {
    await worker?.stop();
    await t.close();
    await fake.close();
  });

  const client = () => connectedClient(t.app, fake);
  const get = (key: IssuedApiKey, jobId: string) =>
    fetch(`${t.url}/v1/uploads/${jobId}`, { headers: { 'x-api-key': key.api_key } }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }));
  const ended = (key: IssuedApiKey, jobId: string) =>
    waitFor(async () => {
      const r = await get(key, jobId);
      return ['completed', 'failed', 'expired', 'cancelled'].includes(r.body.status as string) ? r.body : undefined;
    }, { timeoutMs: 30_000 });
  const staged = () => t.app.get(UploadStagingStore).count();
  const jobsOf = async (clientId: string) => {
    const repo = t.app.get(UploadJobRepository);
    const open = await repo.findUnfinishedBefore(new Date(Date.now() + 1000), 10_000);
    return (await Promise.all(open.map((j) => repo.findById(j.job_id)))).filter((j) => j?.client_id === clientId);
  };
  const cancel = (key: IssuedApiKey, jobId: string) => fetch(`${t.url}/v1/uploads/${jobId}`, { method: 'DELETE', headers: { 'x-api-key': key.api_key } });

  // Before any worker runs, so queued jobs stay queued.
  it('counts in the same per-client cap as uploads: an upload and a replacement fill a cap of 2, then both routes answer 429', async () => {
    const capped = await startReplica(env, { UPLOADS_MAX_PENDING_PER_CLIENT: '2' });
    try {
      const { key, user } = await client();
      const photo = fake.addPhoto();
      const up = await sendUpload(capped.url, key.api_key, user, { bytes: 500 });
      const rep = await sendReplace(capped.url, key.api_key, user, photo.id, 500);
      expect([up.status, rep.status]).toEqual([202, 202]);
      const fullReplace = await sendReplace(capped.url, key.api_key, user, photo.id, 500);
      const fullUpload = await sendUpload(capped.url, key.api_key, user, { bytes: 500 });
      for (const full of [fullReplace, fullUpload]) {
        expect(full.status).toBe(429);
        expect(full.body).toMatchObject({ type: expect.stringContaining('upload-queue-full') });
        expect(full.headers['retry-after']).toEqual(expect.any(String));
      }
      expect(await jobsOf(key.client_id)).toHaveLength(2);
      for (const id of [up.body.job_id, rep.body.job_id] as string[]) expect((await cancel(key, id)).status).toBe(200);
    } finally {
      await capped.close();
    }
  });

  it('counts in the same per-user `upload` rate-limit class as uploads: an upload and a replacement use a quota of 2', async () => {
    const limited = await startReplica(env, { RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_USER_UPLOAD_LIMIT: '2' });
    try {
      const { key, user } = await client();
      const photo = fake.addPhoto();
      const up = await sendUpload(limited.url, key.api_key, user, { bytes: 500 });
      const rep = await sendReplace(limited.url, key.api_key, user, photo.id, 500);
      expect([up.status, rep.status]).toEqual([202, 202]);
      const over = await sendReplace(limited.url, key.api_key, user, photo.id, 500);
      expect(over.status).toBe(429);
      expect(over.body.type).not.toContain('upload-queue-full');
      expect(over.headers['retry-after']).toEqual(expect.any(String));
      expect(await jobsOf(key.client_id)).toHaveLength(2);
      for (const id of [up.body.job_id, rep.body.job_id] as string[]) expect((await cancel(key, id)).status).toBe(200);
    } finally {
      await limited.close();
    }
  });

  it('replaces the bytes of the user\'s photo: the job completes (kind replace, same photo id), the photo keeps its id and metadata', async () => {
    worker = await startWorker();
    const { key, user } = await client();
    const photo = fake.addPhoto({ title: 'sunset', tags: 'beach sun', bytes: 1234 });
    const secretBefore = photo.secret;
    const replaces = fake.count('/services/replace');
    const uploads = fake.count('/services/upload');
    const photosBefore = fake.listPhotos().length;

    const res = await sendReplace(t.url, key.api_key, user, photo.id, 54_321, { priority: 'high' });
    expect(res.status).toBe(202);
    const jobId = res.body.job_id as string;
    expect(res.body).toEqual({ job_id: jobId, status: 'queued', status_url: `/v1/uploads/${jobId}` });
    const queued = await get(key, jobId);
    expect(queued.body).toMatchObject({ kind: 'replace', photo_id: photo.id, priority: 'high', bytes: 54_321 });
    const fileId = (await t.app.get(UploadJobRepository).findById(jobId))!.file_id;

    const done = await ended(key, jobId);
    if (done.status !== 'completed') process.stderr.write(worker.output());
    expect(done).toMatchObject({ status: 'completed', kind: 'replace', photo_id: photo.id, attempts: 1, reason: null });
    const after = fake.photo(photo.id)!;
    expect(after.bytes).toBe(54_321);
    expect(after.secret).not.toBe(secretBefore);
    expect(after.title).toBe('sunset');
    expect(after.tags.map((tag) => tag.raw)).toEqual(['beach', 'sun']);
    // One replace request, no upload, no new photo.
    expect(fake.count('/services/replace') - replaces).toBe(1);
    expect(fake.count('/services/upload') - uploads).toBe(0);
    expect(fake.listPhotos()).toHaveLength(photosBefore);
    await waitFor(async () => !(await t.app.get(UploadStagingStore).exists(fileId)), { timeoutMs: 5000 });

    // An upload's job says what it is too.
    const up = await sendUpload(t.url, key.api_key, user, { bytes: 300 });
    expect((await get(key, up.body.job_id as string)).body).toMatchObject({ kind: 'upload' });
  });

  it('a photo of another Flickr user: the job fails with Flickr\'s reason and the photo is untouched', async () => {
    const { key, user } = await client();
    const bob = fake.addUser({ nsid: `${randomBytes(4).toString('hex')}@N01`, username: 'bob', fullname: 'Bob' });
    const photo = fake.addPhoto({ owner: bob.nsid, bytes: 777 });
    const res = await sendReplace(t.url, key.api_key, user, photo.id, 4000);
    expect(res.status).toBe(202);
    const done = await ended(key, res.body.job_id as string);
    expect(done).toMatchObject({ status: 'failed', kind: 'replace', photo_id: photo.id, attempts: 1 });
    expect(done.reason).toMatch(/Flickr error 1\b.*not found/i);
    expect(fake.photo(photo.id)!.bytes).toBe(777);

    // A photo id Flickr does not know fails the same way.
    const unknown = await sendReplace(t.url, key.api_key, user, '9999999999999', 4000);
    expect(await ended(key, unknown.body.job_id as string)).toMatchObject({ status: 'failed', reason: expect.stringMatching(/Flickr error 1\b/) });
  });

  it('a connection with read permission only: the job fails with Flickr\'s code 99 and the photo is untouched', async () => {
    const key = await createApiKey(t.app);
    const user = `u-${randomBytes(3).toString('hex')}`;
    await t.app.get(UserOwnershipService).register({ clientId: key.client_id, userId: user });
    const token = fake.issueToken({ perms: 'read' });
    await t.app
      .get(UserConnectionService)
      .connect({ clientId: key.client_id, userId: user }, { nsid: '12345678@N00', username: 'alice', fullname: '', perms: 'read' }, { token: token.oauthToken, secret: token.oauthTokenSecret });
    const photo = fake.addPhoto({ bytes: 555 });
    const res = await sendReplace(t.url, key.api_key, user, photo.id, 4000);
    expect(res.status).toBe(202);
    const done = await ended(key, res.body.job_id as string);
    expect(done).toMatchObject({ status: 'failed', kind: 'replace', photo_id: photo.id });
    expect(done.reason).toMatch(/Flickr error 99\b.*write/);
    expect(fake.photo(photo.id)!.bytes).toBe(555);
  });

  it('another client\'s user is 404; a malformed photo id or an upload field is 400; nothing is staged or queued', async () => {
    const a = await client();
    const b = await createApiKey(t.app);
    const photo = fake.addPhoto();
    const before = await staged();
    const foreign = await sendReplace(t.url, b.api_key, a.user, photo.id, 1000);
    expect(foreign.status).toBe(404);
    for (const bad of ['abc', '12a', '12345678@N00', '1'.repeat(21)]) {
      const res = await sendReplace(t.url, a.key.api_key, a.user, bad, 1000);
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body)).toContain('photo_id must be a Flickr photo id');
    }
    // Flickr's replace takes no metadata: the upload fields are refused rather than silently dropped.
    const titled = await sendReplace(t.url, a.key.api_key, a.user, photo.id, 1000, { title: 'ignored?' });
    expect(titled.status).toBe(400);
    expect(await staged()).toEqual(before);
    expect(await jobsOf(b.client_id)).toHaveLength(0);
    expect(await jobsOf(a.key.client_id)).toHaveLength(0);
  });

  it('Idempotency-Key: a replay returns the same job and Flickr gets one replacement; the key for another photo or an upload is 422', async () => {
    const { key, user } = await client();
    const photo = fake.addPhoto({ bytes: 10 });
    const other = fake.addPhoto({ bytes: 20 });
    const replaces = fake.count('/services/replace');
    const idem = { 'idempotency-key': `k-${randomBytes(4).toString('hex')}` };
    const first = await sendReplace(t.url, key.api_key, user, photo.id, 2000, {}, idem);
    const second = await sendReplace(t.url, key.api_key, user, photo.id, 2000, {}, idem);
    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    expect(second.body).toEqual(first.body);

    // Same key, same length, another photo (or the upload route): a different request.
    const otherPhoto = await sendReplace(t.url, key.api_key, user, other.id, 2000, {}, idem);
    expect(otherPhoto.status).toBe(422);
    expect(otherPhoto.body).toMatchObject({ type: expect.stringContaining('idempotency-key-mismatch') });
    const asUpload = await sendUpload(t.url, key.api_key, user, { bytes: 2000, filename: 'new.jpg' }, {}, idem);
    expect(asUpload.status).toBe(422);

    const done = await ended(key, first.body.job_id as string);
    expect(done).toMatchObject({ status: 'completed', photo_id: photo.id });
    // A replay after completion still answers the first job.
    const late = await sendReplace(t.url, key.api_key, user, photo.id, 2000, {}, idem);
    expect(late.body).toEqual(first.body);
    expect(fake.count('/services/replace') - replaces).toBe(1);
    expect(fake.photo(photo.id)!.bytes).toBe(2000);
    expect(fake.photo(other.id)!.bytes).toBe(20);
  });
});
