import { Injectable } from '@nestjs/common';
import { SecurityEvents } from '../security-events/security-events.service';
import { EnvelopeService, KEY_PURPOSES, type KeyPurpose } from '../kms/envelope.service';
import { KmsConfig } from '../kms/kms.config';
import { KmsProvider } from '../kms/kms.provider';
import { type EnvelopeLocation, StoredEnvelopesRepository, SWEPT_ENVELOPES } from './stored-envelopes.repository';
import { TokenMetrics } from './token.metrics';
import { TokenRepository } from './token.repository';
import type { JobCheckpoint } from './token.schema';

export interface RewrapProgress {
  key: string;
  status: 'idle' | 'running' | 'done';
  targetVersion: number | null;
  processed: number;
  remaining: number;
}

export interface RewrapOptions {
  actor: string;
  /** Which transit key's envelopes; default user-tokens. */
  purpose?: KeyPurpose;
  batchSize?: number;
  /** Called after each committed batch (tests use it to simulate a crash). */
  afterBatch?: (processedSoFar: number) => void | Promise<void>;
}

/**
 * Moves every stored data key wrapped by an older version of a transit key to
 * its newest version through transit `rewrap` (the data key never leaves
 * Vault). Covers every envelope under both keys: user-tokens (`tokens.enc`,
 * `oauth_pending.enc|verifier_enc`) and app-credentials (`api_keys.signing`,
 * the HMAC signing secrets). `tokens` is walked in batches in _id order with a
 * checkpoint in `kms_jobs`; a restart resumes after the last committed batch.
 * The other, small collections (SWEPT_ENVELOPES) are swept whole on every run.
 * Idempotent: it only selects records below the target version, and each
 * update is conditional on the wrapped key it replaced.
 */
@Injectable()
export class TokenRewrapJob {
  private readonly running = new Map<KeyPurpose, Promise<RewrapProgress>>();

  constructor(
    private readonly repository: TokenRepository,
    private readonly stored: StoredEnvelopesRepository,
    private readonly kms: KmsProvider,
    private readonly envelope: EnvelopeService,
    private readonly config: KmsConfig,
    private readonly audit: SecurityEvents,
    private readonly metrics: TokenMetrics,
  ) {}

  private checkpointId(keyName: string): string {
    return `rewrap:${keyName}`;
  }

  /** Starts (or joins) a run for one key in this process without waiting for it. */
  start(actor: string, purpose: KeyPurpose = 'user-tokens'): Promise<RewrapProgress> {
    let run = this.running.get(purpose);
    if (!run) {
      run = this.run({ actor, purpose }).finally(() => this.running.delete(purpose));
      this.running.set(purpose, run);
    }
    // Errors are recorded by run(); the caller polls progress().
    run.catch(() => undefined);
    return run;
  }

  /** Whether this process runs the rewrap of the user-tokens key (see isRunningFor). */
  get isRunning(): boolean {
    return this.isRunningFor('user-tokens');
  }

  isRunningFor(purpose: KeyPurpose): boolean {
    return this.running.has(purpose);
  }

  /** Runs the rewrap of both keys, one after the other (the CLI without a key). */
  async runAll(options: Omit<RewrapOptions, 'purpose'>): Promise<RewrapProgress[]> {
    const results: RewrapProgress[] = [];
    for (const purpose of KEY_PURPOSES) results.push(await this.run({ ...options, purpose }));
    return results;
  }

  async progress(purpose: KeyPurpose = 'user-tokens'): Promise<RewrapProgress> {
    const keyName = this.envelope.keyName(purpose);
    const [checkpoint, info] = await Promise.all([this.repository.getCheckpoint(this.checkpointId(keyName)), this.kms.keyInfo(keyName)]);
    const target = checkpoint?.target_version ?? info.latestVersion;
    const remaining = await this.remaining(purpose, keyName, target);
    this.metrics.rewrapRemaining.set({ key: keyName }, remaining);
    return {
      key: keyName,
      status: this.isRunningFor(purpose) || checkpoint?.status === 'running' ? 'running' : checkpoint ? 'done' : 'idle',
      targetVersion: checkpoint?.target_version ?? null,
      processed: checkpoint?.processed ?? 0,
      remaining,
    };
  }

  /** Runs to completion (or until an error; then run again to resume). */
  async run(options: RewrapOptions): Promise<RewrapProgress> {
    const purpose = options.purpose ?? 'user-tokens';
    const keyName = this.envelope.keyName(purpose);
    const id = this.checkpointId(keyName);
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
    let processed = checkpoint.processed;
    // The tokens collection holds user-tokens envelopes only.
    if (purpose === 'user-tokens') processed = await this.walkTokens(keyName, target, batchSize, checkpoint, options);
    for (const location of SWEPT_ENVELOPES.filter((l) => l.purpose === purpose)) {
      processed = await this.sweep(location, keyName, target, batchSize, processed, options, id);
    }
    const remaining = await this.remaining(purpose, keyName, target);
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

  /** The checkpointed walk over `tokens`, resuming after the checkpoint's last_id; returns the new processed count. */
  private async walkTokens(
    keyName: string,
    target: number,
    batchSize: number,
    checkpoint: Pick<JobCheckpoint, '_id' | 'last_id' | 'processed'>,
    options: RewrapOptions,
  ): Promise<number> {
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
        return processed;
      }
      const rewrapped = await this.kms.rewrapDataKeys(keyName, batch.map((d) => d.enc!.wk));
      let changed = 0;
      for (let i = 0; i < batch.length; i++) {
        if (await this.repository.setWrappedKey(batch[i]._id, batch[i].enc!.wk, rewrapped[i].wrapped, rewrapped[i].keyVersion)) changed++;
      }
      processed += changed;
      lastId = batch[batch.length - 1]._id;
      await this.repository.saveCheckpoint(checkpoint._id, { status: 'running', last_id: lastId, processed, target_version: target });
      this.metrics.rewrapped.inc({ key: keyName }, changed);
      await options.afterBatch?.(processed);
    }
  }

  /** One pass over a small collection's envelopes below the target version; returns the new processed count. */
  private async sweep(
    location: EnvelopeLocation,
    keyName: string,
    target: number,
    batchSize: number,
    processedBefore: number,
    options: RewrapOptions,
    checkpointId: string,
  ): Promise<number> {
    let processed = processedBefore;
    let after: unknown = null;
    for (;;) {
      const batch = await this.stored.findBelow(location, keyName, target, after, batchSize);
      if (batch.length === 0) return processed;
      const rewrapped = await this.kms.rewrapDataKeys(keyName, batch.map((d) => d.wk));
      let changed = 0;
      for (let i = 0; i < batch.length; i++) {
        if (await this.stored.setWrappedKey(location, batch[i]._id, batch[i].wk, rewrapped[i].wrapped, rewrapped[i].keyVersion)) changed++;
      }
      processed += changed;
      after = batch[batch.length - 1]._id;
      await this.repository.saveCheckpoint(checkpointId, { status: 'running', processed, target_version: target });
      this.metrics.rewrapped.inc({ key: keyName }, changed);
      await options.afterBatch?.(processed);
    }
  }

  /** Envelopes of this key still below `target`, in every collection that stores them. */
  private async remaining(purpose: KeyPurpose, keyName: string, target: number): Promise<number> {
    const counts = await Promise.all([
      purpose === 'user-tokens' ? this.repository.countWrappedBelow(keyName, target) : 0,
      ...SWEPT_ENVELOPES.filter((l) => l.purpose === purpose).map((l) => this.stored.countBelow(l, keyName, target)),
    ]);
    return counts.reduce((a, b) => a + b, 0);
  }
}
