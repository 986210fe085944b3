import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { IssuedApiKey } from '../../src/auth/api-key.view';
import { UploadJobRepository } from '../../src/uploads/upload-job.repository';
import { UploadLanesStore } from '../../src/uploads/upload-lanes.store';
import { READMIT_GRACE_MS, UploadReconciler } from '../../src/uploads/upload-reconciler.service';
import { UploadStagingStore } from '../../src/uploads/upload-staging.store';
import { FakeFlickr, REAL_FLICKR_ORIGINS } from '../../tools/sandbox-flickr/fake-flickr.server';
import { createApiKey } from '../support/factories/api-key.factory';
import { waitFor } from '../support/processes';
import { startReplica, startTestApp, type TestApp } from '../support/test-app';
import { connectedClient, connectUser, fastUploadEnv, sendUpload, startWorker } from '../support/uploads';

const MiB = 1024 * 1024;

/** Uploads over HTTP → GridFS → lanes → Bull → a real worker process → the fake Flickr. */
describe('uploads through the job queue', () => {
  let fake: FakeFlickr;
  let t: TestApp;
  let env: Record<string, string>;

  beforeAll(async () => {
    fake = await FakeFlickr.start({ origins: REAL_FLICKR_ORIGINS });
    env = fastUploadEnv(fake);
    t = await startTestApp({ env });
  });
  afterAll(async () => {
    await t.close();
    await fake.close();
  });

  const client = () => connectedClient(t.app, fake);
  const get = (key: IssuedApiKey, jobId: string) =>
    fetch(`${t.url}/v1/uploads/${jobId}`, { headers: { 'x-api-key': key.api_key } }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }));
  const staged = () => t.app.get(UploadStagingStore).count();
  it('uploads through the gateway and the worker to Flickr: completed with the photo id, staged file gone', async () => {
    const { key, user } = await client();
    const worker = await startWorker();
    try {
      const res = await sendUpload(t.url, key.api_key, user, { bytes: 3 * MiB + 17 }, { title: 'holiday', tags: 'beach sun', is_public: '0' });
      expect(res.status).toBe(202);
      const jobId = res.body.job_id as string;
      expect(res.body).toEqual({ job_id: jobId, status: 'queued', status_url: `/v1/uploads/${jobId}` });
      const fileId = (await t.app.get(UploadJobRepository).findById(jobId))!.file_id;
      expect(await t.app.get(UploadStagingStore).exists(fileId)).toBe(true);

      const done = await waitFor(async () => {
        const r = await get(key, jobId);
        return r.body.status === 'completed' || r.body.status === 'failed' ? r : undefined;
      }, { timeoutMs: 30_000 });
      if (done.body.status !== 'completed') process.stderr.write(worker.output());
      expect(done.body).toMatchObject({ status: 'completed', attempts: 1, reason: null, bytes: 3 * MiB + 17 });
      const photos = fake.listPhotos().filter((p) => p.id === done.body.photo_id);
      expect(photos).toHaveLength(1);
      expect(photos[0]).toMatchObject({ title: 'holiday', bytes: 3 * MiB + 17 });
      expect(photos[0].tags.split(' ')).toEqual(expect.arrayContaining(['beach', 'sun', `fgw:job=${jobId.replace(/-/g, '')}`]));
      expect(done.body.started_at).toEqual(expect.any(String));
      expect(done.body.finished_at).toEqual(expect.any(String));
      await waitFor(async () => !(await t.app.get(UploadStagingStore).exists(fileId)), { timeoutMs: 5000 });

      // Another client cannot see the job (same 404 as an unknown id).
      const other = await createApiKey(t.app);
      expect((await get(other, jobId)).status).toBe(404);

      // The worker's metrics saw this one job (the worker process is this test's own).
      const metrics = await (await fetch(`${worker.url}/metrics`)).text();
      expect(metrics).toMatch(/^upload_jobs_total\{state="completed"\} 1$/m);
      expect(metrics).toMatch(/^job_lifecycle_duration_seconds_count\{state="completed"\} 1$/m);
      expect(metrics).toMatch(/^worker_processing_time_seconds_count\{outcome="completed"\} 1$/m);
      expect(metrics).toContain('# TYPE queue_depth_per_token gauge');

    } finally {
      await worker.stop();
    }
  });

  it('refuses a 101 MiB file with 413 while streaming and leaves nothing staged; 415 for other media types', async () => {
    const { key, user } = await client();
    const before = await staged();
    const big = await sendUpload(t.url, key.api_key, user, { bytes: 101 * MiB });
    expect(big.status).toBe(413);
    expect(big.headers['content-type']).toContain('application/problem+json');
    expect(big.body.type).toBe('urn:flickr-gateway:problem:payload-too-large');
    expect(await staged()).toEqual(before);

    const text = await sendUpload(t.url, key.api_key, user, { bytes: 1000, type: 'text/plain', filename: 'a.txt' });
    expect(text.status).toBe(415);
    expect(await staged()).toEqual(before);
  });

  it('Idempotency-Key: a replay returns the same job id and creates no second job', async () => {
    const { key, user } = await client();
    const idem = { 'idempotency-key': `k-${randomBytes(4).toString('hex')}` };
    const first = await sendUpload(t.url, key.api_key, user, { bytes: 1000 }, {}, idem);
    const second = await sendUpload(t.url, key.api_key, user, { bytes: 1000 }, {}, idem);
    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    expect(second.body).toEqual(first.body);
    // The replay staged nothing: one file for this client's one job.
    const jobs = await t.app.get(UploadJobRepository).findUnfinishedBefore(new Date(Date.now() + 1000), 10_000);
    const mine = await Promise.all(jobs.map((j) => t.app.get(UploadJobRepository).findById(j.job_id)));
    expect(mine.filter((j) => j?.client_id === key.client_id)).toHaveLength(1);
    // Another client using the same key value gets its own job.
    const other = await client();
    const theirs = await sendUpload(t.url, other.key.api_key, other.user, { bytes: 1000 }, {}, idem);
    expect(theirs.body.job_id).not.toBe(first.body.job_id);
  });

  it('cancels a queued job (staged file deleted, repeat is harmless) and refuses to cancel a finished one', async () => {
    const { key, user } = await client();
    const res = await sendUpload(t.url, key.api_key, user, { bytes: 2000 });
    const jobId = res.body.job_id as string;
    const fileId = (await t.app.get(UploadJobRepository).findById(jobId))!.file_id;
    const del = () => fetch(`${t.url}/v1/uploads/${jobId}`, { method: 'DELETE', headers: { 'x-api-key': key.api_key } });
    const first = await del();
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({ job_id: jobId, status: 'cancelled', finished_at: expect.any(String) });
    expect(await t.app.get(UploadStagingStore).exists(fileId)).toBe(false);
    expect((await del()).status).toBe(200);

    // A worker skips the cancelled job; a job that completed cannot be cancelled.
    const worker = await startWorker();
    try {
      const done = await sendUpload(t.url, key.api_key, user, { bytes: 2000 }, { title: 'kept' });
      const doneId = done.body.job_id as string;
      await waitFor(async () => (await get(key, doneId)).body.status === 'completed', { timeoutMs: 30_000 });
      expect((await get(key, jobId)).body.status).toBe('cancelled');
      const refused = await fetch(`${t.url}/v1/uploads/${doneId}`, { method: 'DELETE', headers: { 'x-api-key': key.api_key } });
      expect(refused.status).toBe(409);
      expect(((await refused.json()) as { type: string }).type).toBe('urn:flickr-gateway:problem:upload-not-cancellable');
    } finally {
      await worker.stop();
    }
  });

  it('expires a job not uploaded within UPLOADS_JOB_TTL_MS and deletes its file', async () => {
    const { key, user } = await client();
    const res = await sendUpload(t.url, key.api_key, user, { bytes: 2000 }, { title: 'too-late' });
    const jobId = res.body.job_id as string;
    const fileId = (await t.app.get(UploadJobRepository).findById(jobId))!.file_id;
    await new Promise((r) => setTimeout(r, 1500));
    const worker = await startWorker({ UPLOADS_JOB_TTL_MS: '1000' });
    try {
      const r = await waitFor(async () => {
        const x = await get(key, jobId);
        return x.body.status !== 'queued' ? x : undefined;
      }, { timeoutMs: 30_000 });
      expect(r.body).toMatchObject({ status: 'expired', photo_id: null });
      // Deleted right after the final state is written (same step, after the status flip).
      await waitFor(async () => !(await t.app.get(UploadStagingStore).exists(fileId)), { timeoutMs: 5000 });
      expect(fake.listPhotos().some((p) => p.title === 'too-late')).toBe(false);
    } finally {
      await worker.stop();
    }
  });

  it('per-client cap at the real default 1000: the 1,001st gets 429 + Retry-After while another client gets 202; the global buffer gives 503 + Retry-After', async () => {
    const a = await client();
    const b = await client();
    let next = 0;
    const statuses: number[] = [];
    // 1000 small uploads, 8 at a time; no worker runs, so all stay pending.
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < 1000) {
          next++;
          statuses.push((await sendUpload(t.url, a.key.api_key, a.user, { bytes: 64 })).status);
        }
      }),
    );
    expect(statuses.filter((s) => s === 202)).toHaveLength(1000);
    const refused = await sendUpload(t.url, a.key.api_key, a.user, { bytes: 64 });
    expect(refused.status).toBe(429);
    expect(refused.body.type).toBe('urn:flickr-gateway:problem:upload-queue-full');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect((await sendUpload(t.url, b.key.api_key, b.user, { bytes: 64 })).status).toBe(202);

    // A second API replica configured with a global buffer of 1001 (now reached) refuses everyone with 503.
    const replica = await startReplica(env, { UPLOADS_MAX_PENDING_TOTAL: '1001' });
    try {
      const c = await client();
      const full = await sendUpload(replica.url, c.key.api_key, c.user, { bytes: 64 });
      expect(full.status).toBe(503);
      expect(full.body.type).toBe('urn:flickr-gateway:problem:upload-buffer-full');
      expect(Number(full.headers['retry-after'])).toBeGreaterThan(0);
    } finally {
      await replica.app.close();
    }
  }, 300_000);
  it('the per-user upload quota of the rate limits applies to the upload route: 429 rate-limited (class upload), nothing staged', async () => {
    const replica = await startReplica(env, { RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_USER_UPLOAD_LIMIT: '2', RATE_LIMIT_IP_LIMIT: '1000' });
    try {
      const { key, user } = await client();
      const send = () => sendUpload(replica.url, key.api_key, user, { bytes: 256 * 1024 });
      expect([(await send()).status, (await send()).status]).toEqual([202, 202]);
      const stagedBefore = await staged();
      const limited = await send();
      expect(limited.status).toBe(429);
      expect(limited.body).toMatchObject({ type: 'urn:flickr-gateway:problem:rate-limited', class: 'upload', scope: 'user' });
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      expect(await staged()).toEqual(stagedBefore);
      // Another user of the same client has its own upload quota.
      const other = `u-${randomBytes(3).toString('hex')}`;
      await connectUser(t.app, fake, key.client_id, other);
      expect((await sendUpload(replica.url, key.api_key, other, { bytes: 64 })).status).toBe(202);
    } finally {
      await replica.app.close();
    }
  }, 60_000);
  it('Bull Board at /admin/queues: 401 without a key, 403 for a client key, the dashboard for an admin key', async () => {
    expect((await fetch(`${t.url}/admin/queues`)).status).toBe(401);
    const clientKey = await createApiKey(t.app);
    const forbidden = await fetch(`${t.url}/admin/queues`, { headers: { 'x-api-key': clientKey.api_key } });
    expect(forbidden.status).toBe(403);
    expect(forbidden.headers.get('content-type')).toContain('application/problem+json');
    const admin = await createApiKey(t.app, { role: 'admin' });
    const board = await fetch(`${t.url}/admin/queues`, { headers: { 'x-api-key': admin.api_key } });
    expect(board.status).toBe(200);
    expect(board.headers.get('content-type')).toContain('text/html');
    const api = await fetch(`${t.url}/admin/queues/api/queues`, { headers: { 'x-api-key': admin.api_key } });
    expect(api.status).toBe(200);
    expect(JSON.stringify(await api.json())).toContain('uploads');
  });
  it('reconciliation: a job final in MongoDB whose Redis clean-up never ran stops counting against the cap, its file is deleted; queued jobs keep counting', async () => {
    // A replica with a per-client cap of 2 on the same database and Redis prefix.
    const replica = await startReplica(env, { UPLOADS_MAX_PENDING_PER_CLIENT: '2' });
    try {
      const { key, user } = await client();
      const repo = replica.app.get(UploadJobRepository);
      const lanes = replica.app.get(UploadLanesStore);
      const send = () => sendUpload(replica.url, key.api_key, user, { bytes: 500 });
      const [first, second] = [await send(), await send()];
      expect([first.status, second.status]).toEqual([202, 202]);
      expect((await send()).status).toBe(429);

      // The first job's finisher dies between the MongoDB write and the Redis clean-up: a dispatcher had taken it
      // from its lane, the final state is written, its cap slot and staged file are never released.
      const firstId = first.body.job_id as string;
      const record = (await repo.findById(firstId))!;
      expect(await lanes.unqueue(firstId, key.client_id, record.priority)).toBe(true);
      expect(await repo.transition(firstId, ['queued'], { status: 'completed', finished_at: new Date(), photo_id: '123' })).not.toBeNull();
      expect((await send()).status).toBe(429);
      // An admission whose MongoDB record was rolled back (no record at all) also holds a slot.
      const orphan = `orphan-${randomBytes(4).toString('hex')}`;
      expect(await lanes.admit(orphan, key.client_id, 'normal', 1, { client: 1e6, total: 1e6 })).toBe('admitted');
      expect((await lanes.counts(key.client_id)).client).toBe(3);

      expect(await replica.app.get(UploadReconciler).runPass()).toEqual({ released: 2, readmitted: 0 });
      expect((await lanes.counts(key.client_id)).client).toBe(1);
      expect(await replica.app.get(UploadStagingStore).exists(record.file_id)).toBe(false);
      // The queued second job was left alone, and the client has room again.
      expect((await get(key, second.body.job_id as string)).body.status).toBe('queued');
      expect((await send()).status).toBe(202);
      // A second pass finds nothing more to release.
      expect(await replica.app.get(UploadReconciler).runPass()).toEqual({ released: 0, readmitted: 0 });
    } finally {
      await replica.app.close();
    }
  }, 60_000);

  it('Redis loses its data: unfinished jobs MongoDB holds are queued again by the reconciler and complete, one photo each', async () => {
    // A fresh API replica answers HTTP here: passport registers its strategy process-wide, so after another test's
    // replica has closed, only the newest app in this process authenticates (one app per process in production).
    const api = await startReplica(env, {});
    const worker: { current?: Awaited<ReturnType<typeof startWorker>> } = {};
    try {
      const { key, user } = await client();
      const lanes = api.app.get(UploadLanesStore);
      const status = async (id: string) =>
        ((await (await fetch(`${api.url}/v1/uploads/${id}`, { headers: { 'x-api-key': key.api_key } })).json()) as Record<string, unknown>);
      const sent = [
        await sendUpload(api.url, key.api_key, user, { bytes: 700 }, { title: 'lost-1' }),
        await sendUpload(api.url, key.api_key, user, { bytes: 700 }, { title: 'lost-2' }),
      ];
      expect(sent.map((r) => r.status)).toEqual([202, 202]);
      const ids = sent.map((r) => r.body.job_id as string);
      expect((await lanes.counts(key.client_id)).client).toBe(2);

      // Every upload structure in Redis is gone (all nodes lost, or a restore from an RDB older than the uploads).
      const redis = api.app.get(Redis, { strict: false });
      const raw = redis.duplicate({ keyPrefix: '', enableOfflineQueue: true });
      const lost = await raw.keys(`${redis.options.keyPrefix ?? ''}uploads:*`);
      if (lost.length > 0) await raw.del(...lost);
      raw.disconnect();
      expect((await lanes.counts(key.client_id)).client).toBe(0);

      const reconciler = api.app.get(UploadReconciler);
      // Young jobs are left alone: their admission may still be on its way.
      expect((await reconciler.runPass()).readmitted).toBe(0);
      // Past the grace period, each is queued again exactly once.
      const later = Date.now() + READMIT_GRACE_MS + 1000;
      // Jobs left queued by earlier tests of this file come back too.
      expect((await reconciler.runPass(later)).readmitted).toBeGreaterThanOrEqual(2);
      expect((await lanes.counts(key.client_id)).client).toBe(2);
      expect((await reconciler.runPass(later)).readmitted).toBe(0);

      worker.current = await startWorker();
      for (const id of ids) {
        const done = await waitFor(async () => {
          const r = await status(id);
          return r.status === 'completed' ? r : undefined;
        }, { timeoutMs: 60_000 });
        expect(fake.listPhotos().filter((p) => p.id === done.photo_id)).toHaveLength(1);
      }
      expect(fake.listPhotos().filter((p) => p.title === 'lost-1' || p.title === 'lost-2')).toHaveLength(2);
    } finally {
      await worker.current?.stop();
      await api.app.close();
    }
  }, 120_000);
});
