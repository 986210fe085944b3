import { randomUUID } from 'node:crypto';
import { getConnectionToken } from '@nestjs/mongoose';
import mongoose, { type Connection } from 'mongoose';
import { Redis } from 'ioredis';
import { UploadIdempotencyStore } from '../../src/uploads/upload-idempotency.store';
import { UploadJobRepository } from '../../src/uploads/upload-job.repository';
import type { UploadJobRecord, UploadStatus } from '../../src/uploads/upload-job.schema';
import { UploadLanesStore } from '../../src/uploads/upload-lanes.store';
import { UploadLifecycle } from '../../src/uploads/upload-lifecycle.service';
import { UploadRetentionSweeper } from '../../src/uploads/upload-retention.sweeper';
import { UploadStagingStore } from '../../src/uploads/upload-staging.store';
import { UploadsConfig } from '../../src/uploads/uploads.config';
import { uploadJobRecord } from '../support/factories/upload-job.factory';
import { startTestApp, type TestApp } from '../support/test-app';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const CAPS = { client: 1000, total: 50_000 };

/**
 * The upload lifecycle's adapters against the real FerretDB and Redis: the expiry sweep, the Idempotency-Key
 * store's conditional take-over, and the retention sweeper (which FerretDB needs: it has no TTL indexes).
 */
describe('upload lifecycle and retention (FerretDB + Redis)', () => {
  let t: TestApp;
  let jobs: UploadJobRepository;
  let staging: UploadStagingStore;
  let lanes: UploadLanesStore;
  let lifecycle: UploadLifecycle;
  let idempotency: UploadIdempotencyStore;
  let sweeper: UploadRetentionSweeper;
  let bucket: mongoose.mongo.GridFSBucket;
  let db: mongoose.mongo.Db;

  beforeAll(async () => {
    t = await startTestApp({
      env: {
        UPLOADS_JOB_TTL_MS: String(DAY),
        UPLOADS_IDEMPOTENCY_TTL_MS: String(DAY),
        UPLOADS_FINISHED_RETENTION_MS: String(30 * DAY),
        UPLOADS_ORPHAN_FILE_AGE_MS: String(2 * HOUR),
      },
    });
    jobs = t.app.get(UploadJobRepository, { strict: false });
    staging = t.app.get(UploadStagingStore, { strict: false });
    lanes = t.app.get(UploadLanesStore, { strict: false });
    lifecycle = t.app.get(UploadLifecycle, { strict: false });
    idempotency = t.app.get(UploadIdempotencyStore, { strict: false });
    // The sweeper belongs to the worker process; built here from the same adapters.
    sweeper = new UploadRetentionSweeper(t.app.get(UploadsConfig), t.app.get(Redis, { strict: false }), idempotency, jobs, staging);
    db = t.app.get<Connection>(getConnectionToken()).db as unknown as mongoose.mongo.Db;
    bucket = new mongoose.mongo.GridFSBucket(db, { bucketName: 'upload_staging' });
  });
  afterAll(async () => {
    await t?.close();
  });

  /** A staged file as the intake writes it, with an id (hence an age) `ageMs` in the past. */
  async function stageFile(ageMs = 0, bytes = 300 * 1024): Promise<string> {
    const id = mongoose.mongo.ObjectId.createFromTime(Math.floor((Date.now() - ageMs) / 1000));
    // createFromTime leaves the rest of the id zero: make it unique.
    const unique = new mongoose.mongo.ObjectId(id.toHexString().slice(0, 8) + new mongoose.mongo.ObjectId().toHexString().slice(8));
    await new Promise<void>((done, fail) => bucket.openUploadStreamWithId(unique, 'p.jpg').on('finish', () => done()).on('error', fail).end(Buffer.alloc(bytes, 1)));
    return unique.toHexString();
  }

  /** What a process killed mid-stream leaves: chunks, and no files document (GridFS writes that last). */
  async function stagePartialFile(ageMs: number): Promise<string> {
    const id = new mongoose.mongo.ObjectId(
      mongoose.mongo.ObjectId.createFromTime(Math.floor((Date.now() - ageMs) / 1000)).toHexString().slice(0, 8) + new mongoose.mongo.ObjectId().toHexString().slice(8),
    );
    const chunks = db.collection('upload_staging.chunks');
    await chunks.insertMany([0, 1].map((n) => ({ files_id: id, n, data: new mongoose.mongo.Binary(Buffer.alloc(1024, n)) })));
    return id.toHexString();
  }

  async function job(overrides: Partial<UploadJobRecord>): Promise<UploadJobRecord> {
    const clientId = overrides.client_id ?? `c-${randomUUID().slice(0, 8)}`;
    const record = uploadJobRecord({ client_id: clientId, file_id: await stageFile(), ...overrides });
    await jobs.insert(record);
    return record;
  }

  describe('expiry', () => {
    it('expires an old queued job and leaves an old active one alone: record, staged file and cap slot', async () => {
      const clientId = `c-${randomUUID().slice(0, 8)}`;
      const old = new Date(Date.now() - DAY - MIN);
      const queued = await job({ client_id: clientId, created_at: old });
      const active = await job({ client_id: clientId, created_at: old, status: 'active', started_at: new Date(Date.now() - 5000), attempts: 1 });
      const young = await job({ client_id: clientId });
      for (const j of [queued, active, young]) expect(await lanes.admit(j.job_id, clientId, 'normal', 1, CAPS)).toBe('admitted');
      expect((await lanes.counts(clientId)).client).toBe(3);

      const expired = await lifecycle.expireQueued();

      expect(expired).toContain(queued.job_id);
      expect(expired).not.toContain(active.job_id);
      expect(await jobs.findById(queued.job_id)).toMatchObject({ status: 'expired', finished_at: expect.any(Date), reason: expect.stringContaining('UPLOADS_JOB_TTL_MS') });
      expect(await staging.exists(queued.file_id)).toBe(false);
      // The active job is a worker's right now: untouched, its file still readable, its cap slot still counted.
      expect(await jobs.findById(active.job_id)).toMatchObject({ status: 'active', finished_at: null, attempts: 1 });
      expect(await staging.exists(active.file_id)).toBe(true);
      expect(await jobs.findById(young.job_id)).toMatchObject({ status: 'queued' });
      expect((await lanes.counts(clientId)).client).toBe(2);
      // A second sweep finds nothing more to do.
      expect(await lifecycle.expireQueued()).not.toContain(active.job_id);
      expect(await jobs.findById(active.job_id)).toMatchObject({ status: 'active' });
    });

    it('a final state carries purge_at = finish + UPLOADS_FINISHED_RETENTION_MS (what MongoDB\'s TTL index deletes by)', async () => {
      const j = await job({});
      const done = await lifecycle.finalize(j.job_id, ['queued'], 'cancelled');
      expect(done!.purge_at!.getTime() - done!.finished_at!.getTime()).toBe(30 * DAY);
      expect((await jobs.findById(j.job_id))!.purge_at).toEqual(done!.purge_at);
    });
  });

  describe('Idempotency-Key store', () => {
    const claim = (jobId: string, at = new Date()) => ({ jobId, fingerprint: `fp-${jobId}`, at, expiresAt: new Date(at.getTime() + DAY) });

    it('one claim per (client, key); a take-over succeeds once, and only while the record names the job it was read with', async () => {
      const key = `k-${randomUUID()}`;
      expect(await idempotency.claim('client-a', key, claim('job-1'))).toBeNull();
      expect(await idempotency.claim('client-a', key, claim('job-2'))).toMatchObject({ job_id: 'job-1', done: false, fingerprint: 'fp-job-1' });
      // Another client's key of the same name is its own.
      expect(await idempotency.claim('client-b', key, claim('job-b'))).toBeNull();

      // Two retries take over the crashed claim at once: exactly one wins (several rounds: it is a race).
      let previous = 'job-1';
      for (let round = 0; round < 10; round++) {
        const [a, b] = [`retry-a${round}`, `retry-b${round}`];
        const results = await Promise.all([
          idempotency.takeOver('client-a', key, previous, claim(a), true),
          idempotency.takeOver('client-a', key, previous, claim(b), true),
        ]);
        expect(results.filter(Boolean)).toHaveLength(1);
        const winner = results[0] ? a : b;
        expect(await idempotency.holds('client-a', key, winner)).toBe(true);
        expect(await idempotency.holds('client-a', key, previous)).toBe(false);
        previous = winner;
      }
      const winner = previous;

      // A done claim is never taken over as a stale one.
      await idempotency.markDone('client-a', key, winner);
      expect(await idempotency.takeOver('client-a', key, winner, claim('late'), true)).toBe(false);
      expect(await idempotency.claim('client-a', key, claim('job-3'))).toMatchObject({ job_id: winner, done: true });
    });

    it('retention deletes records claimed before the TTL, done or not, and keeps younger ones', async () => {
      const key = (s: string) => `k-${s}-${randomUUID()}`;
      const oldDone = key('old-done');
      const oldPending = key('old-pending');
      const young = key('young');
      await idempotency.claim('client-a', oldDone, claim('j1', new Date(Date.now() - DAY - MIN)));
      await idempotency.markDone('client-a', oldDone, 'j1');
      await idempotency.claim('client-a', oldPending, claim('j2', new Date(Date.now() - DAY - MIN)));
      await idempotency.claim('client-a', young, claim('j3', new Date(Date.now() - DAY + MIN)));

      const r = await sweeper.sweep();
      expect(r.idempotencyRecords).toBeGreaterThanOrEqual(2);
      expect(await idempotency.holds('client-a', oldDone, 'j1')).toBe(false);
      expect(await idempotency.holds('client-a', oldPending, 'j2')).toBe(false);
      expect(await idempotency.holds('client-a', young, 'j3')).toBe(true);
    });
  });

  describe('retention sweeper', () => {
    it('deletes finished jobs older than UPLOADS_FINISHED_RETENTION_MS in every final state, never unfinished ones', async () => {
      const longAgo = new Date(Date.now() - 31 * DAY);
      const recently = new Date(Date.now() - 29 * DAY);
      const finals: UploadStatus[] = ['completed', 'failed', 'cancelled', 'expired'];
      const oldFinished = await Promise.all(finals.map((status) => job({ status, created_at: longAgo, finished_at: longAgo })));
      const youngFinished = await job({ status: 'completed', created_at: longAgo, finished_at: recently });
      const oldQueued = await job({ created_at: longAgo });
      const oldActive = await job({ status: 'active', created_at: longAgo, started_at: longAgo });

      const r = await sweeper.sweep();
      expect(r.finishedJobs).toBe(oldFinished.length);
      for (const j of oldFinished) expect(await jobs.findById(j.job_id)).toBeNull();
      for (const j of [youngFinished, oldQueued, oldActive]) expect(await jobs.findById(j.job_id)).not.toBeNull();
    });

    it('deletes staged files no queued or active job needs once older than UPLOADS_ORPHAN_FILE_AGE_MS, partial ones too', async () => {
      const orphan = await stageFile(3 * HOUR);
      const partial = await stagePartialFile(3 * HOUR);
      const youngOrphan = await stageFile(HOUR);
      const ofQueued = await job({ file_id: await stageFile(3 * HOUR) });
      const ofActive = await job({ status: 'active', file_id: await stageFile(3 * HOUR) });
      // A job that ended but whose clean-up never ran (its process died in between).
      const ofCompleted = await job({ status: 'completed', finished_at: new Date(), file_id: await stageFile(3 * HOUR) });

      const r = await sweeper.sweep();
      expect(r.orphanedFiles).toBe(3);
      expect(await staging.exists(orphan)).toBe(false);
      expect(await staging.exists(partial)).toBe(false);
      expect(await staging.exists(ofCompleted.file_id)).toBe(false);
      expect(await staging.exists(youngOrphan)).toBe(true);
      expect(await staging.exists(ofQueued.file_id)).toBe(true);
      expect(await staging.exists(ofActive.file_id)).toBe(true);
      // Nothing is left of what was deleted, not even a chunk.
      const ids = [orphan, partial, ofCompleted.file_id].map((id) => new mongoose.mongo.ObjectId(id));
      expect(await db.collection('upload_staging.chunks').countDocuments({ files_id: { $in: ids } })).toBe(0);
      expect((await sweeper.sweep()).orphanedFiles).toBe(0);
    });

    it('pages through many old staged files across passes without losing any', async () => {
      // More than one page (200) of live files before the orphans, so the cursor has to carry on.
      const live = await Promise.all(Array.from({ length: 210 }, () => stageFile(4 * HOUR, 16)));
      await Promise.all(live.map((fileId, i) => jobs.insert(uploadJobRecord({ job_id: `live-${i}-${randomUUID()}`, file_id: fileId }))));
      const orphans = await Promise.all(Array.from({ length: 5 }, () => stageFile(3 * HOUR, 16)));
      let deleted = 0;
      for (let pass = 0; pass < 3; pass++) deleted += (await sweeper.sweep()).orphanedFiles;
      expect(deleted).toBe(5);
      for (const id of orphans) expect(await staging.exists(id)).toBe(false);
      for (const id of live.slice(0, 5)) expect(await staging.exists(id)).toBe(true);
    });
  });
});
