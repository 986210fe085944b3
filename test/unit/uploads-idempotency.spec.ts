import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Writable } from 'node:stream';
import type { Redis } from 'ioredis';
import type { Principal } from '../../src/common/http/request-context';
import { ProblemException } from '../../src/common/problem/problem.exception';
import { loadSlice } from '../../src/config/env.validation';
import type { RedisReplication } from '../../src/redis/redis.replication';
import type { IdempotencyClaim, UploadIdempotencyStore } from '../../src/uploads/upload-idempotency.store';
import type { UploadJobRepository } from '../../src/uploads/upload-job.repository';
import { UploadIdempotencySchema, UploadJobSchema, type UploadIdempotencyRecord, type UploadJobRecord } from '../../src/uploads/upload-job.schema';
import type { UploadLanesStore } from '../../src/uploads/upload-lanes.store';
import type { UploadLifecycle } from '../../src/uploads/upload-lifecycle.service';
import type { UploadStagingStore } from '../../src/uploads/upload-staging.store';
import { UploadsConfig } from '../../src/uploads/uploads.config';
import { UploadsService, requestFingerprint } from '../../src/uploads/uploads.service';
import type { UserErasure } from '../../src/users/user-erasure';
import type { UserOwnershipService } from '../../src/users/user-ownership.service';
import { multipartRequest } from '../support/factories/multipart-request.factory';
import { uploadJobRecord } from '../support/factories/upload-job.factory';

const STALE_MS = 600_000;
const principal: Principal = { keyId: 'key-a', clientId: 'client-a', role: 'client', ipAllowlist: [], method: 'api-key' };

/**
 * `upload_idempotency` replaced by a map with the adapter's contract: one record per (client, key), a take-over only
 * while the record still names the job it was read with (the real store's conditional update is tested against
 * FerretDB in test/integration/upload-retention.int-spec.ts).
 */
class MemoryIdempotency {
  readonly records = new Map<string, UploadIdempotencyRecord>();
  private id = (c: string, k: string) => `${c}\u0000${k}`;
  async claim(clientId: string, key: string, claim: IdempotencyClaim) {
    const existing = this.records.get(this.id(clientId, key));
    if (existing) return { ...existing };
    this.records.set(this.id(clientId, key), { client_id: clientId, key, job_id: claim.jobId, done: false, fingerprint: claim.fingerprint, created_at: claim.at, expires_at: claim.expiresAt });
    return null;
  }
  async takeOver(clientId: string, key: string, previousJobId: string, claim: IdempotencyClaim, onlyIfPending: boolean) {
    const r = this.records.get(this.id(clientId, key));
    if (!r || r.job_id !== previousJobId || (onlyIfPending && r.done)) return false;
    Object.assign(r, { job_id: claim.jobId, done: false, fingerprint: claim.fingerprint, created_at: claim.at, expires_at: claim.expiresAt });
    return true;
  }
  async holds(clientId: string, key: string, jobId: string) {
    return this.records.get(this.id(clientId, key))?.job_id === jobId;
  }
  async markDone(clientId: string, key: string, jobId: string) {
    const r = this.records.get(this.id(clientId, key));
    if (r?.job_id === jobId) r.done = true;
  }
  async release(clientId: string, key: string, jobId: string) {
    if (this.records.get(this.id(clientId, key))?.job_id === jobId) this.records.delete(this.id(clientId, key));
  }
  get(clientId: string, key: string) {
    return this.records.get(this.id(clientId, key));
  }
  /** A claim as a request leaves it when its process dies while streaming. */
  seed(record: Omit<UploadIdempotencyRecord, 'client_id'>) {
    this.records.set(this.id(principal.clientId, record.key), { client_id: principal.clientId, ...record });
  }
}

function setup() {
  const config = loadSlice(UploadsConfig, { UPLOADS_IDEMPOTENCY_STALE_MS: String(STALE_MS) });
  const idempotency = new MemoryIdempotency();
  const jobs = new Map<string, UploadJobRecord>();
  const jobRepo = {
    insert: async (r: UploadJobRecord) => void jobs.set(r.job_id, r),
    remove: async (id: string) => void jobs.delete(id),
    findById: async (id: string) => jobs.get(id) ?? null,
  };
  const lanes = {
    counts: async () => ({ client: 0, total: 0 }),
    admit: async () => 'admitted' as const,
    unqueue: async () => true,
    finish: async () => undefined,
  };
  // Staging keeps nothing; it only hands out ids and records what is written and deleted.
  const staged: string[] = [];
  const deleted: string[] = [];
  const staging = {
    openWrite: () => {
      const id = randomBytes(12).toString('hex');
      staged.push(id);
      const stream = Object.assign(new Writable({ write: (_c, _e, done) => done() }), { abort: async () => undefined });
      return { id, stream };
    },
    delete: async (id: string) => void deleted.push(id),
    discard: async (id: string) => void deleted.push(id),
  };
  const service = new UploadsService(
    config,
    { assertOwned: async () => ({}) } as unknown as UserOwnershipService,
    jobRepo as unknown as UploadJobRepository,
    lanes as unknown as UploadLanesStore,
    staging as unknown as UploadStagingStore,
    idempotency as unknown as UploadIdempotencyStore,
    {} as UploadLifecycle,
    { confirm: async () => true } as unknown as RedisReplication,
    {} as Redis,
    { register: () => undefined } as unknown as UserErasure,
  );
  return { service, idempotency, jobs, staged, deleted };
}

/** accept() with the body sent at once. */
function upload(service: UploadsService, userId: string, key: string, fileBytes: number, fields: Record<string, string> = {}) {
  const r = multipartRequest(fileBytes, fields);
  const answer = service.accept(principal, userId, key, r.req);
  r.send();
  return answer;
}

const problemOf = (p: Promise<unknown>) =>
  p.then(
    () => 'accepted',
    (e: unknown) => (e instanceof ProblemException ? `${e.getStatus()} ${e.slug}` : String(e)),
  );

describe('UploadsService Idempotency-Key (adapters replaced)', () => {
  it('replays the first answer for the same request, and creates no second job', async () => {
    const t = setup();
    const first = await upload(t.service, 'user-1', 'k-same', 1000, { title: 'a' });
    const replay = await upload(t.service, 'user-1', 'k-same', 1000, { title: 'a' });
    expect(replay).toEqual(first);
    expect(t.jobs.size).toBe(1);
    expect(t.staged).toHaveLength(1);
    expect(t.idempotency.get('client-a', 'k-same')).toMatchObject({ job_id: first.job_id, done: true });
  });

  it('refuses a done key replayed with a different request: 422 idempotency-key-mismatch, no job, nothing staged', async () => {
    const t = setup();
    const first = await upload(t.service, 'user-1', 'k-reused', 1000, { title: 'a' });
    // Another file (another length), another title length, another user: each is a different request.
    expect(await problemOf(upload(t.service, 'user-1', 'k-reused', 2000, { title: 'a' }))).toBe('422 idempotency-key-mismatch');
    expect(await problemOf(upload(t.service, 'user-1', 'k-reused', 1000, { title: 'a longer title' }))).toBe('422 idempotency-key-mismatch');
    expect(await problemOf(upload(t.service, 'user-2', 'k-reused', 1000, { title: 'a' }))).toBe('422 idempotency-key-mismatch');
    expect(t.jobs.size).toBe(1);
    expect(t.staged).toHaveLength(1);
    // The key still answers its own request.
    expect(await upload(t.service, 'user-1', 'k-reused', 1000, { title: 'a' })).toEqual(first);
  });

  it('refuses a different request while the first one is still streaming (422), and answers the same one 409', async () => {
    const t = setup();
    const slow = multipartRequest(1000);
    const first = t.service.accept(principal, 'user-1', 'k-busy', slow.req);
    await new Promise((r) => setImmediate(r));
    expect(t.idempotency.get('client-a', 'k-busy')).toMatchObject({ done: false });
    expect(await problemOf(upload(t.service, 'user-1', 'k-busy', 5000))).toBe('422 idempotency-key-mismatch');
    expect(await problemOf(upload(t.service, 'user-1', 'k-busy', 1000))).toBe('409 idempotency-in-progress');
    slow.send();
    await first;
    expect(t.jobs.size).toBe(1);
  });

  it('takes over a claim its crashed request left behind once it is older than UPLOADS_IDEMPOTENCY_STALE_MS', async () => {
    const t = setup();
    const fingerprint = requestFingerprint(multipartRequest(1000).req, 'user-1');
    // Younger than the stale period: it may still be streaming somewhere.
    t.idempotency.seed({ key: 'k-crashed', job_id: 'dead-job', done: false, fingerprint, created_at: new Date(Date.now() - STALE_MS + 5000) });
    expect(await problemOf(upload(t.service, 'user-1', 'k-crashed', 1000))).toBe('409 idempotency-in-progress');
    // Older than the stale period and no job recorded: no live request holds it any more.
    t.idempotency.get('client-a', 'k-crashed')!.created_at = new Date(Date.now() - STALE_MS - 1000);
    const retried = await upload(t.service, 'user-1', 'k-crashed', 1000);
    expect(retried.job_id).not.toBe('dead-job');
    expect(t.jobs.has(retried.job_id)).toBe(true);
    expect(t.idempotency.get('client-a', 'k-crashed')).toMatchObject({ job_id: retried.job_id, done: true, fingerprint });
    expect(new Date().getTime() - t.idempotency.get('client-a', 'k-crashed')!.created_at.getTime()).toBeLessThan(60_000);
    // From then on the key replays the retry's answer.
    expect(await upload(t.service, 'user-1', 'k-crashed', 1000)).toEqual(retried);
  });

  it('a stale claim whose request did record its job answers with that job instead of creating a second one', async () => {
    const t = setup();
    const fingerprint = requestFingerprint(multipartRequest(1000).req, 'user-1');
    const recorded = uploadJobRecord({ client_id: 'client-a', user_id: 'user-1' });
    t.jobs.set(recorded.job_id, recorded);
    t.idempotency.seed({ key: 'k-half', job_id: recorded.job_id, done: false, fingerprint, created_at: new Date(Date.now() - STALE_MS - 1000) });
    const answer = await upload(t.service, 'user-1', 'k-half', 1000);
    expect(answer.job_id).toBe(recorded.job_id);
    expect(t.jobs.size).toBe(1);
    expect(t.staged).toHaveLength(0);
    expect(t.idempotency.get('client-a', 'k-half')).toMatchObject({ job_id: recorded.job_id, done: true });
  });

  it('a request that lost its stale claim to a retry while streaming records no job and deletes its staged file (409)', async () => {
    const t = setup();
    const slow = multipartRequest(1000);
    const answer = t.service.accept(principal, 'user-1', 'k-lost', slow.req);
    await new Promise((r) => setImmediate(r));
    // A retry took the claim over meanwhile (this request outlived the stale period).
    Object.assign(t.idempotency.get('client-a', 'k-lost')!, { job_id: 'the-retry-job' });
    slow.send();
    expect(await problemOf(answer)).toBe('409 idempotency-in-progress');
    expect(t.jobs.size).toBe(0);
    expect(t.staged).toHaveLength(1);
    expect(t.deleted).toEqual(t.staged);
    expect(t.idempotency.get('client-a', 'k-lost')).toMatchObject({ job_id: 'the-retry-job' });
  });

  it('the fingerprint is the method, the user and the Content-Length (chunked: no length)', () => {
    const req = (headers: Record<string, string>, method = 'POST') => ({ method, headers }) as unknown as IncomingMessage;
    const base = requestFingerprint(req({ 'content-length': '1234', 'content-type': 'multipart/form-data; boundary=a' }), 'u');
    expect(requestFingerprint(req({ 'content-length': '1234', 'content-type': 'multipart/form-data; boundary=b' }), 'u')).toBe(base);
    expect(requestFingerprint(req({ 'content-length': '1235' }), 'u')).not.toBe(base);
    expect(requestFingerprint(req({ 'content-length': '1234' }), 'v')).not.toBe(base);
    expect(requestFingerprint(req({ 'content-length': '1234' }, 'PUT'), 'u')).not.toBe(base);
    expect(requestFingerprint(req({}), 'u')).toBe(requestFingerprint(req({ 'transfer-encoding': 'chunked' }), 'u'));
    expect(base).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('upload retention on MongoDB', () => {
  it('declares TTL indexes on the per-document expiry dates (FerretDB refuses them; the worker sweeps there)', () => {
    expect(UploadIdempotencySchema.indexes()).toContainEqual([{ expires_at: 1 }, expect.objectContaining({ expireAfterSeconds: 0 })]);
    expect(UploadIdempotencySchema.indexes()).toContainEqual([{ client_id: 1, key: 1 }, expect.objectContaining({ unique: true })]);
    expect(UploadJobSchema.indexes()).toContainEqual([{ purge_at: 1 }, expect.objectContaining({ expireAfterSeconds: 0 })]);
  });

  it('a claim expires UPLOADS_IDEMPOTENCY_TTL_MS after it is taken', async () => {
    const t = setup();
    const before = Date.now();
    await upload(t.service, 'user-1', 'k-ttl', 100);
    const r = t.idempotency.get('client-a', 'k-ttl')!;
    expect(r.expires_at!.getTime() - r.created_at.getTime()).toBe(new UploadsConfig().UPLOADS_IDEMPOTENCY_TTL_MS);
    expect(r.created_at.getTime()).toBeGreaterThanOrEqual(before);
  });
});
