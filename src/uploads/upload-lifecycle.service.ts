import { Injectable, Logger } from '@nestjs/common';
import { UploadJobRepository } from './upload-job.repository';
import type { FinalUploadStatus, UploadJobRecord, UploadStatus } from './upload-job.schema';
import { UploadLanesStore } from './upload-lanes.store';
import { UploadStagingStore } from './upload-staging.store';
import { UploadsMetrics } from './uploads.metrics';

/**
 * Ends a job exactly once: the conditional update in MongoDB decides who wins
 * (worker, canceller, expiry sweep); the winner releases the caps, deletes the
 * staged file and counts the final state. The Redis and GridFS clean-ups are
 * idempotent, so `cleanUp` can repeat them for a job that is already final.
 */
@Injectable()
export class UploadLifecycle {
  private readonly logger = new Logger(UploadLifecycle.name);

  constructor(
    private readonly jobs: UploadJobRepository,
    private readonly lanes: UploadLanesStore,
    private readonly staging: UploadStagingStore,
    private readonly metrics: UploadsMetrics,
  ) {}

  /** Moves the job from one of `from` to `state`; returns the final record, or null if another party got there first. */
  async finalize(
    jobId: string,
    from: readonly UploadStatus[],
    state: FinalUploadStatus,
    extra: Partial<Pick<UploadJobRecord, 'photo_id' | 'reason'>> = {},
  ): Promise<UploadJobRecord | null> {
    const now = new Date();
    const record = await this.jobs.transition(jobId, from, { status: state, finished_at: now, ...extra });
    if (!record) return null;
    this.metrics.finished(state, record.created_at, now.getTime());
    this.logger.log(`upload job ${jobId} of client ${record.client_id} ${state} after ${record.attempts} attempt(s)`);
    await this.cleanUp(record);
    return record;
  }

  /** Releases the job's cap slots and staged file. Safe to call again. */
  async cleanUp(record: Pick<UploadJobRecord, 'job_id' | 'client_id' | 'file_id'>): Promise<void> {
    await this.lanes.finish(record.job_id, record.client_id);
    await this.staging.delete(record.file_id);
  }
}
