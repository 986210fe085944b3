import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import { type CursorPosition, keysetFilter } from '../common/pagination/cursor';
import { UPLOAD_JOB_MODEL, type FinalUploadStatus, type UploadJobRecord, type UploadStatus } from './upload-job.schema';

const FINAL_STATUSES: readonly FinalUploadStatus[] = ['completed', 'failed', 'expired', 'cancelled'];

/** What GET /v1/uploads filters a client's jobs on; every field optional, combined with AND. */
export interface UploadJobListFilter {
  user_id?: string;
  status?: UploadStatus;
  /** Inclusive lower bound on created_at. */
  from?: Date;
  /** Exclusive upper bound on created_at. */
  to?: Date;
}

/** Adapter over `upload_jobs`; every state change is a conditional update on the current status. */
@Injectable()
export class UploadJobRepository {
  constructor(@InjectModel(UPLOAD_JOB_MODEL) private readonly jobs: Model<UploadJobRecord>) {}

  async insert(record: UploadJobRecord): Promise<void> {
    await this.jobs.create({ _id: record.job_id, ...record });
  }

  /** Deletes a record that was never admitted to the queue. */
  async remove(jobId: string): Promise<void> {
    await this.jobs.deleteOne({ _id: jobId }).exec();
  }

  findById(jobId: string): Promise<UploadJobRecord | null> {
    return this.jobs.findOne({ _id: jobId }).lean<UploadJobRecord>().exec();
  }

  /** Applies `set` only when the job is in one of `from`; returns the updated record or null. */
  transition(jobId: string, from: readonly UploadStatus[], set: Partial<UploadJobRecord>, inc?: Partial<Record<'attempts', number>>): Promise<UploadJobRecord | null> {
    return this.jobs
      .findOneAndUpdate({ _id: jobId, status: { $in: [...from] } }, { $set: set, ...(inc ? { $inc: inc } : {}) }, { returnDocument: 'after' })
      .lean<UploadJobRecord>()
      .exec();
  }

  /** Queued jobs of one scoped user (erasure); bounded by the per-client pending cap. */
  findQueuedOfUser(clientId: string, userId: string): Promise<Array<Pick<UploadJobRecord, 'job_id' | 'client_id' | 'priority'>>> {
    return this.jobs
      .find({ client_id: clientId, user_id: userId, status: 'queued' }, { job_id: 1, client_id: 1, priority: 1, _id: 0 })
      .lean<Array<Pick<UploadJobRecord, 'job_id' | 'client_id' | 'priority'>>>()
      .exec();
  }

  /**
   * One page of a client's jobs in (created_at, job_id) order, strictly after `after`. Served by the
   * (client_id[, user_id | status], created_at, job_id) indexes of upload-job.schema.ts; with both user and
   * status the user's index is used and the status checked on its range. job_id, not _id, breaks ties: it is
   * the same value on current records and a string on every record.
   */
  listOfClient(clientId: string, filter: UploadJobListFilter, limit: number, after?: CursorPosition): Promise<UploadJobRecord[]> {
    const query: Record<string, unknown> = { client_id: clientId, ...keysetFilter('created_at', 'job_id', { from: filter.from, to: filter.to }, after) };
    if (filter.user_id !== undefined) query.user_id = filter.user_id;
    if (filter.status !== undefined) query.status = filter.status;
    return this.jobs.find(query).sort({ created_at: 1, job_id: 1 }).limit(limit).lean<UploadJobRecord[]>().exec();
  }

  async setTicket(jobId: string, ticketId: string): Promise<void> {
    await this.jobs.updateOne({ _id: jobId }, { $set: { ticket_id: ticketId } }).exec();
  }

  /**
   * Jobs still queued (never started) that were accepted before `before`, oldest first: the expiry sweep's
   * candidates. Active jobs are not among them: their worker (or Bull's stalled handling) ends them.
   */
  findQueuedBefore(before: Date, limit: number): Promise<Array<Pick<UploadJobRecord, 'job_id'>>> {
    return this.jobs
      .find({ status: 'queued', created_at: { $lt: before } }, { job_id: 1, _id: 0 })
      .sort({ created_at: 1 })
      .limit(limit)
      .lean<Array<Pick<UploadJobRecord, 'job_id'>>>()
      .exec();
  }

  /**
   * Retention: deletes up to `limit` jobs that ended before `finishedBefore` (any final state); returns how many.
   * Unfinished jobs are never touched, whatever their age.
   */
  async deleteFinishedBefore(finishedBefore: Date, limit: number): Promise<number> {
    const old = await this.jobs
      .find({ status: { $in: [...FINAL_STATUSES] }, finished_at: { $lt: finishedBefore } }, { _id: 1 })
      .limit(limit)
      .lean<Array<{ _id: string }>>()
      .exec();
    if (old.length === 0) return 0;
    // The status is checked again in the delete, though a final state never changes.
    const result = await this.jobs.deleteMany({ _id: { $in: old.map((r) => r._id) }, status: { $in: [...FINAL_STATUSES] } }).exec();
    return result.deletedCount ?? 0;
  }

  /** Which of these staged file ids a queued or active job still needs (for the orphaned-file sweep). */
  async liveFileIds(fileIds: string[]): Promise<Set<string>> {
    if (fileIds.length === 0) return new Set();
    const rows = await this.jobs
      .find({ file_id: { $in: fileIds }, status: { $in: ['queued', 'active'] } }, { file_id: 1, _id: 0 })
      .lean<Array<Pick<UploadJobRecord, 'file_id'>>>()
      .exec();
    return new Set(rows.map((r) => r.file_id));
  }

  /** Unfinished (queued or active) jobs accepted before `before`, oldest first. */
  findUnfinishedBefore(before: Date, limit: number): Promise<Array<Pick<UploadJobRecord, 'job_id'>>> {
    return this.jobs
      .find({ status: { $in: ['queued', 'active'] }, created_at: { $lt: before } }, { job_id: 1, _id: 0 })
      .sort({ created_at: 1 })
      .limit(limit)
      .lean<Array<Pick<UploadJobRecord, 'job_id'>>>()
      .exec();
  }

  /**
   * One page of unfinished jobs accepted before `before`, in `_id` order after `afterId` (for re-admitting jobs
   * Redis has lost).
   */
  findUnfinishedPage(before: Date, afterId: string | null, limit: number): Promise<Array<Pick<UploadJobRecord, 'job_id' | 'client_id' | 'priority'>>> {
    return this.jobs
      .find(
        { status: { $in: ['queued', 'active'] }, created_at: { $lt: before }, ...(afterId ? { _id: { $gt: afterId } } : {}) },
        { job_id: 1, client_id: 1, priority: 1 },
      )
      .sort({ _id: 1 })
      .limit(limit)
      .lean<Array<Pick<UploadJobRecord, 'job_id' | 'client_id' | 'priority'>>>()
      .exec();
  }

  /** Status and staged file of these jobs, by job id; unknown ids are absent (for reconciling the Redis pending sets). */
  async statusesOf(jobIds: string[]): Promise<Map<string, Pick<UploadJobRecord, 'status' | 'file_id'>>> {
    const rows = await this.jobs
      .find({ _id: { $in: jobIds } }, { job_id: 1, status: 1, file_id: 1, _id: 0 })
      .lean<Array<Pick<UploadJobRecord, 'job_id' | 'status' | 'file_id'>>>()
      .exec();
    return new Map(rows.map((r) => [r.job_id, { status: r.status, file_id: r.file_id }]));
  }
}
