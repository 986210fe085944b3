import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { Redis } from 'ioredis';
import type { Principal } from '../common/http/request-context';
import { NotFoundProblem, ValidationProblem } from '../common/problem/problem.exception';
import { NotReplicatedProblem, RedisReplication } from '../redis/redis.replication';
import type { ScopedUser } from '../users/user.identity';
import { UserErasure } from '../users/user-erasure';
import { UserOwnershipService } from '../users/user-ownership.service';
import { UploadIdempotencyStore } from './upload-idempotency.store';
import { UploadJobRepository } from './upload-job.repository';
import { queuedUploadJob, type UploadJobRecord, type UploadParams } from './upload-job.schema';
import { UploadLanesStore } from './upload-lanes.store';
import { UploadLifecycle } from './upload-lifecycle.service';
import { UploadStagingStore } from './upload-staging.store';
import { receiveUpload, type StagedUpload } from './upload.intake';
import { fieldErrors, fingerprintParts, formFieldsOf, jobTargetFields, kindOf, NEW_PHOTO, type UploadTarget } from './upload.target';
import { UploadsConfig } from './uploads.config';
import type { UploadAcceptedView, UploadJobView } from './uploads.dto';
import { IdempotencyInProgressProblem, IdempotencyKeyMismatchProblem, UploadBufferFullProblem, UploadNotCancellableProblem, UploadQueueFullProblem } from './uploads.errors';

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/**
 * What identifies an upload request before its body is read, stored with its Idempotency-Key claim: the method,
 * the target user (the only variable of the route's path) and the Content-Length header (`chunked` when absent),
 * hashed. The length covers the file's size, the field values and the multipart framing, so a different file or
 * different fields almost always change it, while a retry of the same request has the same length (a client
 * library's multipart boundaries have a fixed length). The field values themselves are not part of it on purpose:
 * a replay is answered before its body is read (a retried 100 MB upload is not streamed into staging a second
 * time just to be compared), so only what the headers say can be compared. Chunked uploads are compared by method
 * and user only. A replacement adds its kind and photo id (the other variable of its path).
 */
export function requestFingerprint(req: Pick<IncomingMessage, 'method' | 'headers'>, userId: string, target: UploadTarget = NEW_PHOTO): string {
  const length = req.headers['content-length'] ?? 'chunked';
  return createHash('sha256')
    .update(JSON.stringify([req.method ?? 'POST', userId, String(length), ...fingerprintParts(target)]))
    .digest('hex');
}

export function toJobView(r: UploadJobRecord): UploadJobView {
  return {
    job_id: r.job_id,
    user_id: r.user_id,
    kind: kindOf(r),
    status: r.status,
    priority: r.priority,
    filename: r.filename,
    bytes: r.bytes,
    attempts: r.attempts,
    photo_id: r.photo_id ?? null,
    reason: r.reason ?? null,
    created_at: r.created_at,
    started_at: r.started_at ?? null,
    finished_at: r.finished_at ?? null,
  };
}

/**
 * The API side of uploads: accepts a file only when it can be served (caps
 * checked before and atomically after streaming), stages it in GridFS, records
 * the job and queues it in the client's lane. The worker does the rest.
 */
@Injectable()
export class UploadsService implements OnModuleInit {
  constructor(
    private readonly config: UploadsConfig,
    private readonly ownership: UserOwnershipService,
    private readonly jobs: UploadJobRepository,
    private readonly lanes: UploadLanesStore,
    private readonly staging: UploadStagingStore,
    private readonly idempotency: UploadIdempotencyStore,
    private readonly lifecycle: UploadLifecycle,
    private readonly replication: RedisReplication,
    // The same shared client the lanes store admits with: WAIT covers that connection's writes.
    @Inject(Redis) private readonly redis: Redis,
    private readonly erasure: UserErasure,
  ) {}

  onModuleInit(): void {
    this.erasure.register({ name: 'uploads', eraseUser: (user) => this.cancelAllOf(user) });
  }

  /**
   * Erasure: cancels every queued job of the scoped user (staged file and cap
   * slots released). A job a worker already runs finishes or fails on its own;
   * its next token read finds no user and ends it.
   */
  async cancelAllOf(user: ScopedUser): Promise<void> {
    for (const job of await this.jobs.findQueuedOfUser(user.clientId, user.userId)) {
      const cancelled = await this.lifecycle.finalize(job.job_id, ['queued'], 'cancelled', { reason: 'user-erased' });
      if (cancelled) await this.lanes.unqueue(job.job_id, job.client_id, job.priority);
    }
  }

  /**
   * Receives one upload, or one replacement of the user's photo (`target`); 202 answer, or a problem (404, 409,
   * 413, 415, 422, 429, 503). A replacement's photo is checked by Flickr when the job runs (a photo the user does
   * not own fails the job with Flickr's reason): asking Flickr here would spend upstream budget on every request.
   */
  async accept(principal: Principal, userId: string, idempotencyKey: string | undefined, req: IncomingMessage, target: UploadTarget = NEW_PHOTO): Promise<UploadAcceptedView> {
    await this.ownership.assertOwned({ clientId: principal.clientId, userId });
    const jobId = randomUUID();
    const answer: UploadAcceptedView = { job_id: jobId, status: 'queued', status_url: `/v1/uploads/${jobId}` };

    if (idempotencyKey !== undefined) {
      if (!IDEMPOTENCY_KEY.test(idempotencyKey)) throw new ValidationProblem(['Idempotency-Key: 1-255 visible ASCII characters']);
      const earlier = await this.claimKey(principal.clientId, idempotencyKey, jobId, requestFingerprint(req, userId, target));
      if (earlier) return earlier;
    }
    try {
      // Refuse before reading a byte when the caps are already reached; the atomic check comes after staging.
      const counts = await this.lanes.counts(principal.clientId);
      this.assertRoom(counts.client < this.config.UPLOADS_MAX_PENDING_PER_CLIENT ? counts.total < this.config.UPLOADS_MAX_PENDING_TOTAL ? 'admitted' : 'buffer-full' : 'client-full');

      const staged = await receiveUpload(req, this.staging, {
        maxFileBytes: this.config.UPLOADS_MAX_FILE_BYTES,
        mediaTypes: this.config.UPLOADS_MEDIA_TYPES,
        fields: formFieldsOf(target),
        idleTimeoutMs: this.config.UPLOADS_BODY_IDLE_TIMEOUT_MS,
        minBytesPerSecond: this.config.UPLOADS_MIN_BODY_RATE_BYTES_PER_S,
      });
      if (idempotencyKey !== undefined) await this.assertStillClaimed(principal.clientId, idempotencyKey, jobId, staged.fileId);
      await this.enqueue(principal, userId, jobId, staged, target);
      if (idempotencyKey !== undefined) await this.idempotency.markDone(principal.clientId, idempotencyKey, jobId);
      return answer;
    } catch (error) {
      if (idempotencyKey !== undefined) await this.idempotency.release(principal.clientId, idempotencyKey, jobId).catch(() => undefined);
      throw error;
    }
  }

  /** The job, for its owner only (404 for anyone else, like an unknown id). */
  async get(principal: Principal, jobId: string): Promise<UploadJobView> {
    return toJobView(await this.owned(principal, jobId));
  }

  /** Cancels a job that has not started; 409 once a worker has it. Repeating a cancel answers the cancelled job. */
  async cancel(principal: Principal, jobId: string): Promise<UploadJobView> {
    const record = await this.owned(principal, jobId);
    if (record.status === 'cancelled') return toJobView(record);
    if (record.status !== 'queued') throw new UploadNotCancellableProblem(record.status);
    const cancelled = await this.lifecycle.finalize(jobId, ['queued'], 'cancelled');
    if (!cancelled) {
      const now = await this.owned(principal, jobId);
      if (now.status === 'cancelled') return toJobView(now);
      throw new UploadNotCancellableProblem(now.status);
    }
    // Best effort: a job already handed to Bull is skipped by the worker, which sees it cancelled.
    await this.lanes.unqueue(jobId, record.client_id, record.priority);
    return toJobView(cancelled);
  }

  private async owned(principal: Principal, jobId: string): Promise<UploadJobRecord> {
    const record = await this.jobs.findById(jobId);
    if (!record || record.client_id !== principal.clientId) throw new NotFoundProblem();
    return record;
  }

  /**
   * Null when the key is ours now; the first answer when the same request used it within the TTL. 422 when a
   * different request (another fingerprint) holds it; 409 while the first request is still being received. A
   * claim older than UPLOADS_IDEMPOTENCY_STALE_MS that never finished belongs to a request whose process died:
   * if that request got as far as recording its job, the job runs (the reconciler re-admits it) and is the answer;
   * otherwise the key is taken over, as if the dead request had been refused. Every take-over is conditional on
   * the record's current job id, so of two concurrent retries one wins and the other sees its claim.
   */
  private async claimKey(clientId: string, key: string, jobId: string, fingerprint: string): Promise<UploadAcceptedView | null> {
    for (let round = 0; round < 3; round++) {
      const now = new Date();
      const claim = { jobId, fingerprint, at: now, expiresAt: new Date(now.getTime() + this.config.UPLOADS_IDEMPOTENCY_TTL_MS) };
      const earlier = await this.idempotency.claim(clientId, key, claim);
      if (!earlier) return null;
      const age = now.getTime() - earlier.created_at.getTime();
      if (age >= this.config.UPLOADS_IDEMPOTENCY_TTL_MS) {
        // Aged out: the key may be reused for a new upload.
        if (await this.idempotency.takeOver(clientId, key, earlier.job_id, claim, false)) return null;
        continue;
      }
      let done = earlier.done;
      if (!done && age >= this.config.UPLOADS_IDEMPOTENCY_STALE_MS) {
        if (!(await this.jobs.findById(earlier.job_id))) {
          if (await this.idempotency.takeOver(clientId, key, earlier.job_id, claim, true)) return null;
          continue;
        }
        await this.idempotency.markDone(clientId, key, earlier.job_id);
        done = true;
      }
      // Records written before fingerprints existed match any request.
      if (earlier.fingerprint !== undefined && earlier.fingerprint !== fingerprint) throw new IdempotencyKeyMismatchProblem();
      if (!done) throw new IdempotencyInProgressProblem();
      return { job_id: earlier.job_id, status: 'queued', status_url: `/v1/uploads/${earlier.job_id}` };
    }
    throw new IdempotencyInProgressProblem();
  }

  /**
   * A request still streaming when a retry took its stale claim over has lost the key: the retry's job is the
   * one for this key, so this one records none (its staged file is deleted) and answers 409 like any replay
   * while another request holds the key.
   */
  private async assertStillClaimed(clientId: string, key: string, jobId: string, fileId: string): Promise<void> {
    if (await this.idempotency.holds(clientId, key, jobId)) return;
    await this.staging.delete(fileId).catch(() => undefined);
    throw new IdempotencyInProgressProblem();
  }

  private assertRoom(result: 'admitted' | 'client-full' | 'buffer-full'): void {
    if (result === 'client-full') throw new UploadQueueFullProblem(this.config.UPLOADS_MAX_PENDING_PER_CLIENT, this.config.UPLOADS_RETRY_AFTER_SECONDS);
    if (result === 'buffer-full') throw new UploadBufferFullProblem(this.config.UPLOADS_RETRY_AFTER_SECONDS);
  }

  private async enqueue(principal: Principal, userId: string, jobId: string, staged: StagedUpload, target: UploadTarget): Promise<void> {
    const errors = fieldErrors(target, staged.fields);
    if (errors.length > 0) {
      await this.staging.delete(staged.fileId);
      throw new ValidationProblem(errors);
    }
    const { priority = 'normal', ...flickrFields } = staged.fields as UploadParams & { priority?: 'high' | 'normal' | 'low' };
    const record = queuedUploadJob({
      job_id: jobId,
      client_id: principal.clientId,
      key_id: principal.keyId,
      user_id: userId,
      ...jobTargetFields(target),
      priority,
      file_id: staged.fileId,
      filename: staged.filename,
      media_type: staged.mediaType,
      bytes: staged.bytes,
      params: flickrFields,
    });
    // The record exists before the id is in a lane, so a dispatcher never pops an id it cannot find.
    await this.jobs.insert(record);
    const admitted = await this.lanes
      .admit(jobId, principal.clientId, priority, principal.queueWeight ?? 1, {
        client: this.config.UPLOADS_MAX_PENDING_PER_CLIENT,
        total: this.config.UPLOADS_MAX_PENDING_TOTAL,
      })
      .catch(async (err: unknown) => {
        await this.jobs.remove(jobId).catch(() => undefined);
        await this.staging.delete(staged.fileId).catch(() => undefined);
        throw err;
      });
    if (admitted !== 'admitted') {
      await this.jobs.remove(jobId);
      await this.staging.delete(staged.fileId);
      this.assertRoom(admitted);
    }
    // No 202 before the lane entry is on a replica (REDIS_WAIT_REPLICAS), so a Redis failover cannot lose it.
    if (!(await this.replication.confirm(this.redis).catch(() => false))) {
      await this.lanes.unqueue(jobId, principal.clientId, priority).catch(() => undefined);
      await this.lanes.finish(jobId, principal.clientId).catch(() => undefined);
      await this.jobs.remove(jobId).catch(() => undefined);
      await this.staging.delete(staged.fileId).catch(() => undefined);
      throw new NotReplicatedProblem(this.config.UPLOADS_RETRY_AFTER_SECONDS);
    }
  }
}
