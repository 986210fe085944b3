import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import { PeriodicTask } from '../common/timers/periodic-task';
import { UploadIdempotencyStore } from './upload-idempotency.store';
import { UploadJobRepository } from './upload-job.repository';
import { UploadStagingStore } from './upload-staging.store';
import { UploadsConfig } from './uploads.config';

const LOCK_KEY = 'uploads:retention-lock';
/** Finished jobs deleted per query, and queries per pass: bounds one pass (the next one continues). */
const JOB_BATCH = 500;
const JOB_BATCHES_PER_PASS = 20;
/** Staged file ids checked per page, and pages per pass; the position is kept for the next pass. */
const FILE_PAGE = 200;
const FILE_PAGES_PER_PASS = 10;

/** What one pass deleted. */
export interface RetentionSweepResult {
  idempotencyRecords: number;
  finishedJobs: number;
  orphanedFiles: number;
}

/**
 * Keeps the upload collections bounded (docs/queue.md, retention). Each pass deletes
 * - `upload_idempotency` records claimed more than UPLOADS_IDEMPOTENCY_TTL_MS ago (the key is free by then anyway);
 * - `upload_jobs` that ended more than UPLOADS_FINISHED_RETENTION_MS ago (unfinished jobs never);
 * - staged GridFS files older than UPLOADS_ORPHAN_FILE_AGE_MS that no queued or active job refers to: what a
 *   process killed mid-upload (or between a job's final state and its clean-up) left behind.
 *
 * On MongoDB the TTL indexes on `expires_at` and `purge_at` delete the first two as well; FerretDB 1.x refuses
 * TTL indexes, so without this sweeper they would grow for ever there. Orphaned files have no TTL index anywhere.
 * It runs in the worker process; a Redis lock held for most of the interval lets one replica sweep per interval.
 */
@Injectable()
export class UploadRetentionSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(UploadRetentionSweeper.name);
  private readonly owner = randomBytes(8).toString('hex');
  private readonly task: PeriodicTask;
  /** Last staged file id checked; null to start from the oldest. */
  private fileCursor: string | null = null;

  constructor(
    private readonly config: UploadsConfig,
    @Inject(Redis) private readonly redis: Redis,
    private readonly idempotency: UploadIdempotencyStore,
    private readonly jobs: UploadJobRepository,
    private readonly staging: UploadStagingStore,
  ) {
    this.task = new PeriodicTask('retention sweep', config.UPLOADS_SWEEP_INTERVAL_MS, () => this.sweepIfFirst(), this.logger);
  }

  onApplicationBootstrap(): void {
    this.task.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.task.stop();
  }

  /** A pass unless another replica swept within the interval (the lock is not released; it expires). */
  private async sweepIfFirst(): Promise<void> {
    const ttl = Math.max(500, Math.floor(this.config.UPLOADS_SWEEP_INTERVAL_MS * 0.9));
    if (!(await this.redis.set(LOCK_KEY, this.owner, 'PX', ttl, 'NX'))) return;
    const r = await this.sweep();
    if (r.idempotencyRecords + r.finishedJobs + r.orphanedFiles > 0) {
      this.logger.log(
        `retention: deleted ${r.idempotencyRecords} idempotency record(s), ${r.finishedJobs} finished job(s), ${r.orphanedFiles} orphaned staged file(s)`,
      );
    }
  }

  /** One bounded pass now, whatever the schedule and the lock. */
  async sweep(now = Date.now()): Promise<RetentionSweepResult> {
    const idempotencyRecords = await this.idempotency.deleteClaimedBefore(new Date(now - this.config.UPLOADS_IDEMPOTENCY_TTL_MS));

    let finishedJobs = 0;
    const finishedBefore = new Date(now - this.config.UPLOADS_FINISHED_RETENTION_MS);
    for (let i = 0; i < JOB_BATCHES_PER_PASS; i++) {
      const deleted = await this.jobs.deleteFinishedBefore(finishedBefore, JOB_BATCH);
      finishedJobs += deleted;
      if (deleted < JOB_BATCH) break;
    }

    let orphanedFiles = 0;
    const createdBefore = new Date(now - this.config.UPLOADS_ORPHAN_FILE_AGE_MS);
    for (let i = 0; i < FILE_PAGES_PER_PASS; i++) {
      const { ids, last } = await this.staging.pageCreatedBefore(createdBefore, this.fileCursor, FILE_PAGE);
      const live = await this.jobs.liveFileIds(ids);
      for (const id of ids) {
        if (live.has(id)) continue;
        await this.staging.discard(id);
        orphanedFiles++;
      }
      this.fileCursor = last ? null : ids[ids.length - 1];
      if (last) break;
    }
    return { idempotencyRecords, finishedJobs, orphanedFiles };
  }
}
