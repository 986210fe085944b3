import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import { OAUTH_PENDING_MODEL, type OAuthMode, type OAuthPendingRecord } from './oauth-pending.schema';

/** Adapter over `oauth_pending`. */
@Injectable()
export class OAuthPendingRepository {
  constructor(@InjectModel(OAUTH_PENDING_MODEL) private readonly pending: Model<OAuthPendingRecord>) {}

  async insert(record: OAuthPendingRecord): Promise<void> {
    await this.pending.create(record);
  }

  /**
   * Atomically moves an unexpired, idle request of `mode` to `exchanging` and
   * counts the attempt; null when unknown, expired, exhausted or already being
   * exchanged. `owner` restricts it to one client's user (OOB verify).
   */
  async claim(
    requestToken: string,
    mode: OAuthMode,
    now: Date,
    maxAttempts: number,
    owner?: { clientId: string; userId: string },
  ): Promise<OAuthPendingRecord | null> {
    // Races between claims are decided by OAuthClaimLock first: FerretDB 1.x does not make this
    // conditional update atomic under concurrency (several concurrent claims all succeeded in testing).
    const result = await this.pending
      .updateOne(
        {
          _id: requestToken,
          mode,
          state: 'pending',
          expires_at: { $gt: now },
          attempts: { $lt: maxAttempts },
          ...(owner ? { client_id: owner.clientId, user_id: owner.userId } : {}),
        },
        { $set: { state: 'exchanging' }, $inc: { attempts: 1 } },
      )
      .exec();
    if (result.modifiedCount !== 1) return null;
    return this.pending.findById(requestToken).lean<OAuthPendingRecord>().exec();
  }

  /** Gives a claimed request back (the verifier was wrong, or Flickr failed before answering). */
  async release(requestToken: string): Promise<void> {
    await this.pending.updateOne({ _id: requestToken, state: 'exchanging' }, { $set: { state: 'pending' } }).exec();
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
