import { Injectable, Logger } from '@nestjs/common';
import { WebhookEmitter } from '../webhooks/webhook.emitter';
import { UploadJobRepository } from './upload-job.repository';
import type { FinalUploadStatus, UploadJobRecord, UploadStatus } from './upload-job.schema';
import { UploadLanesStore } from './upload-lanes.store';
import { UploadStagingStore } from './upload-staging.store';
import { UploadsConfig } from './uploads.config';
import { UploadsMetrics } from './uploads.metrics';

/** Expired per sweep at most; the dispatcher sweeps about once a second. */
const EXPIRE_BATCH = 100;

/**
 * Ends a job exactly once: the conditional update in MongoDB decides who wins
 * (worker, canceller, expiry sweep); the winner releases the caps, deletes the
 * staged file and counts the final state. The Redis and GridFS clean-ups are
 * idempotent, so `cleanUp` can repeat them for a job that is already final.
 * A final record carries `purge_at` (finish + UPLOADS_FINISHED_RETENTION_MS), when
 * MongoDB's TTL index deletes it.
 */
@Injectable()
export class UploadLifecycle {
  private readonly logger = new Logger(UploadLifecycle.name);

  constructor(
    private readonly jobs: UploadJobRepository,
    private readonly lanes: UploadLanesStore,
    private readonly staging: UploadStagingStore,
    private readonly metrics: UploadsMetrics,
    private readonly config: UploadsConfig,
    private readonly webhooks: WebhookEmitter,
  ) {}

  /** Moves the job from one of `from` to `state`; returns the final record, or null if another party got there first. */
  async finalize(
    jobId: string,
    from: readonly UploadStatus[],
    state: FinalUploadStatus,
    extra: Partial<Pick<UploadJobRecord, 'photo_id' | 'reason'>> = {},
  ): Promise<UploadJobRecord | null> {
    const now = new Date();
    const purgeAt = new Date(now.getTime() + this.config.UPLOADS_FINISHED_RETENTION_MS);
    const record = await this.jobs.transition(jobId, from, { status: state, finished_at: now, purge_at: purgeAt, ...extra });
    if (!record) return null;
    this.metrics.finished(state, record.created_at, now.getTime());
    this.logger.log(`upload job ${jobId} of client ${record.client_id} ${state} after ${record.attempts} attempt(s)`);
    await this.webhooks.emit({ clientId: record.client_id, userId: record.user_id, type: `upload.${state}`, data: { job_id: record.job_id, kind: record.kind ?? 'upload', status: state, photo_id: record.photo_id, reason: record.reason } });
    await this.cleanUp(record);
    return record;
  }

  /**
   * The expiry sweep: ends as `expired` the jobs still queued `UPLOADS_JOB_TTL_MS` after acceptance and takes them
   * out of their lanes. Only `queued` ones: a job a worker has started may be streaming to Flickr right now, and
   * finalizing it here would delete its staged file under the upload and release its cap slot while it runs.
   * A started job is ended by its worker (completed, or failed after its attempts) or by Bull's stalled handling
   * (`worker-lost`). A worker taking the job at the same moment is harmless: both transitions are conditional on
   * `queued`, so one of them fails. Returns the ids expired by this call.
   */
  async expireQueued(now = Date.now()): Promise<string[]> {
    const expired: string[] = [];
    for (const { job_id } of await this.jobs.findQueuedBefore(new Date(now - this.config.UPLOADS_JOB_TTL_MS), EXPIRE_BATCH)) {
      const record = await this.finalize(job_id, ['queued'], 'expired', { reason: 'not started within UPLOADS_JOB_TTL_MS' });
      if (!record) continue;
      await this.lanes.unqueue(job_id, record.client_id, record.priority);
      expired.push(job_id);
    }
    return expired;
  }

  /** Releases the job's cap slots and staged file. Safe to call again. */
  async cleanUp(record: Pick<UploadJobRecord, 'job_id' | 'client_id' | 'file_id'>): Promise<void> {
    await this.lanes.finish(record.job_id, record.client_id);
    await this.staging.delete(record.file_id);
  }
}
