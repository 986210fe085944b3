import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import type { Envelope } from '../kms/envelope';
import type { ScopedUser } from '../users/user.identity';
import { OAUTH_PENDING_MODEL, type OAuthMode, type OAuthPendingRecord, type OAuthPendingState } from './oauth-pending.schema';

/** Adapter over `oauth_pending`. */
@Injectable()
export class OAuthPendingRepository {
  constructor(@InjectModel(OAUTH_PENDING_MODEL) private readonly pending: Model<OAuthPendingRecord>) {}

  async insert(record: OAuthPendingRecord): Promise<void> {
    await this.pending.create(record);
  }

  /**
   * Atomically moves an unexpired request of `mode` from `from` to
   * `exchanging` and counts the attempt; null when unknown, expired, exhausted,
   * already being exchanged, or not started by `owner` (the scoped user);
   * `stateHash` also requires the callback state the initiator was given.
   */
  async claim(
    requestToken: string,
    mode: OAuthMode,
    from: OAuthPendingState,
    now: Date,
    maxAttempts: number,
    owner: ScopedUser,
    stateHash?: string,
  ): Promise<OAuthPendingRecord | null> {
    // Races between claims are decided by OAuthClaimLock first: FerretDB 1.x does not make this
    // conditional update atomic under concurrency (several concurrent claims all succeeded in testing).
    const result = await this.pending
      .updateOne(
        {
          _id: requestToken,
          mode,
          state: from,
          expires_at: { $gt: now },
          attempts: { $lt: maxAttempts },
          client_id: owner.clientId,
          user_id: owner.userId,
          ...(stateHash !== undefined ? { state_hash: stateHash } : {}),
        },
        { $set: { state: 'exchanging' }, $inc: { attempts: 1 } },
      )
      .exec();
    if (result.modifiedCount !== 1) return null;
    return this.pending.findById(requestToken).lean<OAuthPendingRecord>().exec();
  }

  /** Gives a claimed request back (the verifier was wrong, or Flickr failed before answering). */
  async release(requestToken: string, to: OAuthPendingState): Promise<void> {
    await this.pending.updateOne({ _id: requestToken, state: 'exchanging' }, { $set: { state: to } }).exec();
  }

  /** Callback mode: stores Flickr's verifier on a pending request (once); null when unknown, expired or not pending. */
  async approve(requestToken: string, verifierEnc: Envelope, now: Date): Promise<OAuthPendingRecord | null> {
    return this.pending
      .findOneAndUpdate(
        { _id: requestToken, mode: 'callback', state: 'pending', expires_at: { $gt: now } },
        { $set: { state: 'approved', verifier_enc: verifierEnc } },
        { returnDocument: 'after' },
      )
      .lean<OAuthPendingRecord>()
      .exec();
  }

  /** Deletes every pending request of a scoped user (erasure). */
  async deleteByUser(user: ScopedUser): Promise<number> {
    return (await this.pending.deleteMany({ client_id: user.clientId, user_id: user.userId }).exec()).deletedCount;
  }

  async deleteById(requestToken: string): Promise<void> {
    await this.pending.deleteOne({ _id: requestToken }).exec();
  }

  /** Removes requests past their expiry; returns how many. */
  async deleteExpired(now: Date): Promise<number> {
    const result = await this.pending.deleteMany({ expires_at: { $lte: now } }).exec();
    return result.deletedCount;
  }
}
