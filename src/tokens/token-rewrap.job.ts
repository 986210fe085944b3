import { Injectable } from '@nestjs/common';
import { AuditTrail } from '../audit/audit.trail';
import { EnvelopeService } from '../kms/envelope.service';
import { KmsConfig } from '../kms/kms.config';
import { KmsProvider } from '../kms/kms.provider';
import { TokenMetrics } from './token.metrics';
import { TokenRepository } from './token.repository';

export interface RewrapProgress {
  key: string;
  status: 'idle' | 'running' | 'done';
  targetVersion: number | null;
  processed: number;
  remaining: number;
}

export interface RewrapOptions {
  actor: string;
  batchSize?: number;
  /** Called after each committed batch (tests use it to simulate a crash). */
  afterBatch?: (processedSoFar: number) => void | Promise<void>;
}

/**
 * Moves every stored data key of the user-token KEK to its newest version
 * through transit `rewrap` (the data key never leaves Vault). Batches in _id
 * order with a checkpoint in `kms_jobs`; a restart resumes after the last
 * committed batch. Idempotent: it only selects records below the target
 * version, and each update is conditional on the wrapped key it replaced.
 */
@Injectable()
export class TokenRewrapJob {
  private running: Promise<RewrapProgress> | undefined;

  constructor(
    private readonly repository: TokenRepository,
    private readonly kms: KmsProvider,
    private readonly envelope: EnvelopeService,
    private readonly config: KmsConfig,
    private readonly audit: AuditTrail,
    private readonly metrics: TokenMetrics,
  ) {}

  private get keyName(): string {
    return this.envelope.keyName('user-tokens');
  }

  private checkpointId(): string {
    return `rewrap:${this.keyName}`;
  }

  /** Starts (or joins) a run in this process without waiting for it. */
  start(actor: string): Promise<RewrapProgress> {
    this.running ??= this.run({ actor }).finally(() => (this.running = undefined));
    // Errors are recorded by run(); the caller polls progress().
    this.running.catch(() => undefined);
    return this.running;
  }

  get isRunning(): boolean {
    return this.running !== undefined;
  }

  async progress(): Promise<RewrapProgress> {
    const [checkpoint, info] = await Promise.all([this.repository.getCheckpoint(this.checkpointId()), this.kms.keyInfo(this.keyName)]);
    const target = checkpoint?.target_version ?? info.latestVersion;
    const remaining = await this.repository.countWrappedBelow(this.keyName, target);
    this.metrics.rewrapRemaining.set({ key: this.keyName }, remaining);
    return {
      key: this.keyName,
      status: this.isRunning || checkpoint?.status === 'running' ? 'running' : checkpoint ? 'done' : 'idle',
      targetVersion: checkpoint?.target_version ?? null,
      processed: checkpoint?.processed ?? 0,
      remaining,
    };
  }

  /** Runs to completion (or until an error; then run again to resume). */
  async run(options: RewrapOptions): Promise<RewrapProgress> {
    const keyName = this.keyName;
    const id = this.checkpointId();
    const batchSize = options.batchSize ?? this.config.KMS_REWRAP_BATCH_SIZE;
    const target = (await this.kms.keyInfo(keyName)).latestVersion;
    let checkpoint = await this.repository.getCheckpoint(id);
    // A new target version (a rotation since the last run) or a finished run starts over from the first record.
    if (!checkpoint || checkpoint.target_version !== target || checkpoint.status === 'done') {
      const fresh = { status: 'running' as const, last_id: null, processed: 0, target_version: target, started_at: new Date() };
      await this.repository.saveCheckpoint(id, fresh);
      checkpoint = { _id: id, ...fresh, updated_at: new Date() };
      await this.audit.record({ action: 'kms.rewrap.started', actor: options.actor, target: keyName, details: { targetVersion: target } });
    } else {
      await this.audit.record({
        action: 'kms.rewrap.resumed',
        actor: options.actor,
        target: keyName,
        details: { targetVersion: target, processed: checkpoint.processed },
      });
    }
    let lastId = checkpoint.last_id;
    let processed = checkpoint.processed;
    let sweptFromStart = lastId === null;
    for (;;) {
      const batch = await this.repository.findWrappedBelow(keyName, target, lastId, batchSize);
      if (batch.length === 0) {
        // Records written with an older data key before this run started may sit before the checkpoint: one pass from the start.
        if (!sweptFromStart) {
          sweptFromStart = true;
          lastId = null;
          continue;
        }
        break;
      }
      const rewrapped = await this.kms.rewrapDataKeys(keyName, batch.map((d) => d.enc!.wk));
      let changed = 0;
      for (let i = 0; i < batch.length; i++) {
        if (await this.repository.setWrappedKey(batch[i]._id, batch[i].enc!.wk, rewrapped[i].wrapped, rewrapped[i].keyVersion)) changed++;
      }
      processed += changed;
      lastId = batch[batch.length - 1]._id;
      await this.repository.saveCheckpoint(id, { status: 'running', last_id: lastId, processed, target_version: target });
      this.metrics.rewrapped.inc({ key: keyName }, changed);
      await options.afterBatch?.(processed);
    }
    const remaining = await this.repository.countWrappedBelow(keyName, target);
    await this.repository.saveCheckpoint(id, { status: 'done', last_id: null, processed, target_version: target });
    this.metrics.rewrapRemaining.set({ key: keyName }, remaining);
    await this.audit.record({
      action: 'kms.rewrap.completed',
      actor: options.actor,
      target: keyName,
      details: { targetVersion: target, processed, remaining },
    });
    return { key: keyName, status: 'done', targetVersion: target, processed, remaining };
  }
}
