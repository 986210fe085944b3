import { Injectable, Logger } from '@nestjs/common';
import { UploadJobRepository } from './upload-job.repository';
import { UploadLanesStore } from './upload-lanes.store';
import { UploadLifecycle } from './upload-lifecycle.service';

/** Pending ids looked up in MongoDB per step (one SSCAN, one `$in` query): bounds the work per dispatcher tick. */
const BATCH = 200;
/** Pause between two full passes over the pending sets. */
export const RECONCILE_PASS_INTERVAL_MS = 10_000;

/**
 * Closes the gap of invariant 2 (docs/queue.md): MongoDB decides that a job is
 * final, then the Redis clean-up releases its cap slots. A process that dies in
 * between leaves the id in its client's pending set, where it would count
 * against the cap for ever. The reconciler walks every client's pending set in
 * small SSCAN steps and releases ids whose job is final in MongoDB (and deletes
 * their staged file) or has no record at all (an admission whose record was
 * rolled back). Queued and active jobs are left alone. Every release is the
 * idempotent clean-up the finalizing party runs, so racing it is harmless.
 */
@Injectable()
export class UploadReconciler {
  private readonly logger = new Logger(UploadReconciler.name);
  private pass: { clients: string[]; index: number; cursor: string } | null = null;
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
  async step(now = Date.now()): Promise<{ released: number; passDone: boolean }> {
    if (!this.pass) {
      if (now < this.nextPassAt) return { released: 0, passDone: false };
      this.pass = { clients: await this.lanes.pendingClients(), index: 0, cursor: '0' };
    }
    const pass = this.pass;
    if (pass.index >= pass.clients.length) {
      this.pass = null;
      this.nextPassAt = now + RECONCILE_PASS_INTERVAL_MS;
      return { released: 0, passDone: true };
    }
    const clientId = pass.clients[pass.index];
    const { cursor, jobIds } = await this.lanes.scanPending(clientId, pass.cursor, BATCH);
    if (cursor === '0') {
      pass.index++;
      pass.cursor = '0';
    } else {
      pass.cursor = cursor;
    }
    return { released: await this.release(clientId, jobIds), passDone: false };
  }

  /** A whole pass now, whatever the schedule; returns the number of ids released. */
  async runPass(): Promise<number> {
    this.pass = null;
    this.nextPassAt = 0;
    let released = 0;
    for (;;) {
      const r = await this.step();
      released += r.released;
      if (r.passDone) return released;
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
