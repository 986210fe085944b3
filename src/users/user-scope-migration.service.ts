import { Injectable } from '@nestjs/common';
import type { Types } from 'mongoose';
import { SecurityEvents } from '../security-events/security-events.service';
import { EnvelopeService } from '../kms/envelope.service';
import { walkWithCheckpoint } from '../tokens/checkpointed-walk';
import { TokenRepository } from '../tokens/token.repository';
import { tokenContext } from '../tokens/token.store';
import { scopedUserKey } from './user.identity';
import { UserRepository } from './user.repository';
import { LEGACY_USER_ID_INDEX, type UserRecord } from './user.schema';

export const SCOPE_MIGRATION_CHECKPOINT = 'migrate:users-scope';

export interface ScopeMigrationOptions {
  dryRun?: boolean;
  batchSize?: number;
  actor?: string;
  afterBatch?: (report: ScopeMigrationReport) => void | Promise<void>;
}

export interface ScopeMigrationReport {
  dryRun: boolean;
  /** Legacy user records seen. */
  scanned: number;
  /** Legacy user records moved to their scoped `_id`. */
  usersMoved: number;
  /** Token documents moved from the bare user_id to the scoped key (re-sealed for it). */
  tokensMoved: number;
  /** Legacy records still left at the end (0 after a complete run). */
  remaining: number;
  /** Whether this run dropped the old unique index on the bare user_id. */
  droppedLegacyIndex: boolean;
}

/**
 * Moves records written before user ids were scoped per client: each legacy
 * user (ObjectId `_id`, globally unique `user_id`) gets its scoped `_id`, and
 * its token moves from the bare user_id to the scoped key, re-sealed because
 * the envelope is bound to its record key. Resumable (checkpoint in
 * `kms_jobs`), safe to run while traffic reads: the token moves first, and
 * readers of a legacy user look at the old place, then the new one; the user
 * record is copied, then the legacy one deleted only if unchanged.
 */
@Injectable()
export class UserScopeMigrationService {
  constructor(
    private readonly users: UserRepository,
    private readonly tokens: TokenRepository,
    private readonly envelope: EnvelopeService,
    private readonly audit: SecurityEvents,
  ) {}

  async run(options: ScopeMigrationOptions = {}): Promise<ScopeMigrationReport> {
    const batchSize = options.batchSize ?? 200;
    const dryRun = options.dryRun ?? false;
    const report: ScopeMigrationReport = { dryRun, scanned: 0, usersMoved: 0, tokensMoved: 0, remaining: 0, droppedLegacyIndex: false };
    if (!dryRun) report.droppedLegacyIndex = await this.users.dropLegacyIndex(LEGACY_USER_ID_INDEX);
    report.scanned = await walkWithCheckpoint(this.tokens, {
      checkpoint: SCOPE_MIGRATION_CHECKPOINT,
      batchSize,
      dryRun,
      fetch: (afterId, limit) => this.users.findLegacyAfter(afterId, limit),
      onBatch: async (batch) => {
        report.scanned += batch.length;
        for (const legacy of batch) await this.moveUser(legacy, report);
      },
      afterCheckpoint: () => options.afterBatch?.(report),
    });
    report.remaining = await this.users.countLegacy();
    if (!dryRun) {
      await this.audit.record({ action: 'users.scope-migration.completed', actor: options.actor ?? 'cli', target: 'users', details: { ...report } });
    }
    return report;
  }

  private async moveUser(legacy: UserRecord, report: ScopeMigrationReport): Promise<void> {
    const key = scopedUserKey({ clientId: legacy.client_id, userId: legacy.user_id });
    report.tokensMoved += await this.moveToken(legacy.user_id, key);
    let current: UserRecord | null = legacy;
    // The copy is redone when the legacy record changed meanwhile (connected, flagged); a few rounds at most.
    for (let round = 0; current && round < 5; round++) {
      await this.users.putScopedCopy(current);
      if (await this.users.deleteLegacyIfUnchanged(current)) {
        report.usersMoved++;
        return;
      }
      current = await this.users.findLegacyById(legacy._id as Types.ObjectId);
    }
  }

  /** Moves the bare-keyed token of `bareUserId` to `scopedKey`; 1 when moved, 0 when there was none (or it moved already). */
  private async moveToken(bareUserId: string, scopedKey: string): Promise<number> {
    const doc = await this.tokens.findByUserId(bareUserId);
    if (!doc) return 0;
    if (await this.tokens.findByUserId(scopedKey)) {
      // A reconnect already saved the token under the scoped key: the bare one is stale.
      await this.tokens.deleteByUserId(bareUserId);
      return 0;
    }
    const fields = doc.enc
      ? await this.envelope.decrypt(tokenContext(bareUserId), doc.enc)
      : { oauth_token: doc.oauth_token as string, oauth_token_secret: doc.oauth_token_secret as string };
    const enc = await this.envelope.encrypt('user-tokens', tokenContext(scopedKey), fields);
    return (await this.tokens.rekey(doc, scopedKey, enc)) ? 1 : 0;
  }
}
