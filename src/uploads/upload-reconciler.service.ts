import { Injectable, Logger } from '@nestjs/common';
import { UploadJobRepository } from './upload-job.repository';
import { UploadLanesStore } from './upload-lanes.store';
import { UploadLifecycle } from './upload-lifecycle.service';

/** Pending ids looked up in MongoDB per step (one SSCAN, one `$in` query): bounds the work per dispatcher tick. */
const BATCH = 200;
/** Pause between two full passes over the pending sets. */
export const RECONCILE_PASS_INTERVAL_MS = 10_000;
/**
 * An unfinished job younger than this is never re-admitted: its record is written just before its admission to
 * Redis, so a young job missing from Redis may simply be between the two steps.
 */
export const READMIT_GRACE_MS = 60_000;

/**
 * Closes the gap of invariant 2 (docs/queue.md): MongoDB decides that a job is
 * final, then the Redis clean-up releases its cap slots. A process that dies in
 * between leaves the id in its client's pending set, where it would count
 * against the cap for ever. The reconciler walks every client's pending set in
 * small SSCAN steps and releases ids whose job is final in MongoDB (and deletes
 * their staged file) or has no record at all (an admission whose record was
 * rolled back). Queued and active jobs are left alone. Every release is the
 * idempotent clean-up the finalizing party runs, so racing it is harmless.
 *
 * The other direction closes the gap of a Redis that lost its data (every node
 * at once, or a restore from an old RDB): each pass then pages through the jobs
 * MongoDB holds as unfinished and puts back in their lanes those no pending set
 * knows. A job re-admitted by mistake (it ended meanwhile) is skipped by the
 * worker, which reads MongoDB before running it; one that did reach Flickr is
 * found by its machine tag, so re-admission never duplicates a photo.
 */
@Injectable()
export class UploadReconciler {
  private readonly logger = new Logger(UploadReconciler.name);
  private pass: { clients: string[]; index: number; cursor: string; readmitAfter: string | null } | null = null;
  private nextPassAt = 0;

  constructor(
    private readonly lanes: UploadLanesStore,
    private readonly jobs: UploadJobRepository,
    private readonly lifecycle: UploadLifecycle,
  ) {}

  /**
   * One bounded step of the current pass (the dispatcher calls it every tick).
   * Returns how many ids it released and whether the pass just ended.
   */
  async step(now = Date.now()): Promise<{ released: number; readmitted: number; passDone: boolean }> {
    if (!this.pass) {
      if (now < this.nextPassAt) return { released: 0, readmitted: 0, passDone: false };
      this.pass = { clients: await this.lanes.pendingClients(), index: 0, cursor: '0', readmitAfter: null };
    }
    const pass = this.pass;
    if (pass.index >= pass.clients.length) {
      // Pending sets done; then one page of MongoDB's unfinished jobs per step.
      const page = await this.jobs.findUnfinishedPage(new Date(now - READMIT_GRACE_MS), pass.readmitAfter, BATCH);
      const queued = await this.lanes.readmit(page);
      for (const job of queued) {
        this.logger.warn(`upload job ${job.job_id} of client ${job.client_id} is unfinished in MongoDB but unknown to Redis; queued again`);
      }
      const readmitted = queued.length;
      if (page.length === BATCH) {
        pass.readmitAfter = page[page.length - 1].job_id;
        return { released: 0, readmitted, passDone: false };
      }
      this.pass = null;
      this.nextPassAt = now + RECONCILE_PASS_INTERVAL_MS;
      return { released: 0, readmitted, passDone: true };
    }
    const clientId = pass.clients[pass.index];
    const { cursor, jobIds } = await this.lanes.scanPending(clientId, pass.cursor, BATCH);
    if (cursor === '0') {
      pass.index++;
      pass.cursor = '0';
    } else {
      pass.cursor = cursor;
    }
    return { released: await this.release(clientId, jobIds), readmitted: 0, passDone: false };
  }

  /** A whole pass now, whatever the schedule: ids released from the pending sets, jobs queued again. */
  async runPass(now = Date.now()): Promise<{ released: number; readmitted: number }> {
    this.pass = null;
    this.nextPassAt = 0;
    const total = { released: 0, readmitted: 0 };
    for (;;) {
      const r = await this.step(now);
      total.released += r.released;
      total.readmitted += r.readmitted;
      if (r.passDone) return total;
    }
  }

  private async release(clientId: string, jobIds: string[]): Promise<number> {
    if (jobIds.length === 0) return 0;
    const records = await this.jobs.statusesOf(jobIds);
    let released = 0;
    for (const jobId of jobIds) {
      const record = records.get(jobId);
      if (record && (record.status === 'queued' || record.status === 'active')) continue;
      this.logger.warn(`upload job ${jobId} of client ${clientId} still counted as pending but ${record ? record.status : 'unknown'}; releasing it`);
      if (record) await this.lifecycle.cleanUp({ job_id: jobId, client_id: clientId, file_id: record.file_id });
      else await this.lanes.finish(jobId, clientId);
      released++;
    }
    return released;
  }
}
