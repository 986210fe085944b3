import type { Types } from 'mongoose';
import type { TokenRepository } from './token.repository';

export interface CheckpointedWalk<T extends { _id: unknown }> {
  /** Checkpoint id in `kms_jobs`. */
  checkpoint: string;
  batchSize: number;
  /** Only counts what would be done: no checkpoint is read or written, `onBatch` is not called. */
  dryRun: boolean;
  /** The next batch after `afterId` (null: from the start), in `_id` order. */
  fetch(afterId: Types.ObjectId | null, limit: number): Promise<T[]>;
  /** Does the work of one batch; must be idempotent (a batch may be seen again after a crash). */
  onBatch(batch: T[]): Promise<void>;
  /** Called once the batch's checkpoint is saved (progress output; a test may crash here). */
  afterCheckpoint?(): void | Promise<void>;
}

/**
 * The resumable walk shared by the one-shot data migrations: batches in `_id`
 * order, a checkpoint after each, resumed after the last one on a re-run (and
 * then once more from the start, so records before the checkpoint that
 * changed meanwhile are not missed). Returns how many records were seen.
 */
export async function walkWithCheckpoint<T extends { _id: unknown }>(checkpoints: TokenRepository, walk: CheckpointedWalk<T>): Promise<number> {
  const saved = walk.dryRun ? null : await checkpoints.getCheckpoint(walk.checkpoint);
  let lastId: Types.ObjectId | null = saved?.status === 'running' ? saved.last_id : null;
  let processed = saved?.status === 'running' ? saved.processed : 0;
  let sweptFromStart = lastId === null;
  let scanned = 0;
  if (!walk.dryRun) await checkpoints.saveCheckpoint(walk.checkpoint, { status: 'running', last_id: lastId, processed, started_at: saved?.started_at ?? new Date() });
  for (;;) {
    const batch = await walk.fetch(lastId, walk.batchSize);
    if (batch.length === 0) {
      if (!sweptFromStart && !walk.dryRun) {
        sweptFromStart = true;
        lastId = null;
        continue;
      }
      break;
    }
    scanned += batch.length;
    lastId = batch[batch.length - 1]._id as Types.ObjectId;
    if (walk.dryRun) continue;
    await walk.onBatch(batch);
    processed += batch.length;
    await checkpoints.saveCheckpoint(walk.checkpoint, { status: 'running', last_id: lastId, processed });
    await walk.afterCheckpoint?.();
  }
  if (!walk.dryRun) await checkpoints.saveCheckpoint(walk.checkpoint, { status: 'done', last_id: null, processed });
  return scanned;
}
