import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import { UPLOAD_IDEMPOTENCY_MODEL, type UploadIdempotencyRecord } from './upload-job.schema';

/** What a request writes when it claims (or takes over) a key. */
export interface IdempotencyClaim {
  jobId: string;
  fingerprint: string;
  at: Date;
  /** When MongoDB's TTL index may delete the record (at + UPLOADS_IDEMPOTENCY_TTL_MS). */
  expiresAt: Date;
}

/**
 * Adapter over `upload_idempotency`. MongoDB rather than Redis: a lost record
 * would mean a duplicate photo, and the unique index makes the claim atomic.
 */
@Injectable()
export class UploadIdempotencyStore {
  constructor(@InjectModel(UPLOAD_IDEMPOTENCY_MODEL) private readonly records: Model<UploadIdempotencyRecord>) {}

  /** Claims the key; returns the existing record instead when the key is taken. */
  async claim(clientId: string, key: string, claim: IdempotencyClaim): Promise<UploadIdempotencyRecord | null> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.records.create({ client_id: clientId, key, done: false, ...fields(claim) });
        return null;
      } catch (err) {
        if ((err as { code?: number }).code !== 11000) throw err;
      }
      const existing = await this.records.findOne({ client_id: clientId, key }).lean<UploadIdempotencyRecord>().exec();
      if (existing) return existing;
      // Gone between the two steps (its request was refused and freed the key): claim again, a few times.
      if (attempt >= 3) throw new Error(`Idempotency-Key claim of client ${clientId} kept changing; giving up`);
    }
  }

  /**
   * Hands the key to a new request, only if it still belongs to `previousJobId` (and, with `onlyIfPending`, that
   * request never finished): of two retries taking over the same record, exactly one wins. True if this one did.
   * A delete and a fresh claim rather than a conditional update: FerretDB applies two concurrent conditional
   * updates of one document both (measured: 20 of 20 pairs both matched), while the unique index admits exactly
   * one of two inserts. A plain claim slipping in between the two steps wins instead; the caller then sees it.
   */
  async takeOver(clientId: string, key: string, previousJobId: string, claim: IdempotencyClaim, onlyIfPending: boolean): Promise<boolean> {
    const gone = await this.records.deleteOne({ client_id: clientId, key, job_id: previousJobId, ...(onlyIfPending ? { done: false } : {}) }).exec();
    if (gone.deletedCount !== 1) return false;
    try {
      await this.records.create({ client_id: clientId, key, done: false, ...fields(claim) });
      return true;
    } catch (err) {
      if ((err as { code?: number }).code !== 11000) throw err;
      return false;
    }
  }

  /** Whether the key still belongs to `jobId` (a request that outlived the stale period may have lost it to a retry). */
  async holds(clientId: string, key: string, jobId: string): Promise<boolean> {
    return (await this.records.countDocuments({ client_id: clientId, key, job_id: jobId }).exec()) > 0;
  }

  async markDone(clientId: string, key: string, jobId: string): Promise<void> {
    await this.records.updateOne({ client_id: clientId, key, job_id: jobId }, { $set: { done: true } }).exec();
  }

  /** Frees the key (the request it belonged to was refused). */
  async release(clientId: string, key: string, jobId: string): Promise<void> {
    await this.records.deleteOne({ client_id: clientId, key, job_id: jobId }).exec();
  }

  /**
   * Retention: deletes every record claimed before `claimedBefore` (now − UPLOADS_IDEMPOTENCY_TTL_MS), done or
   * not; such a key is free for a new upload anyway. Returns how many were deleted.
   */
  async deleteClaimedBefore(claimedBefore: Date): Promise<number> {
    const result = await this.records.deleteMany({ created_at: { $lt: claimedBefore } }).exec();
    return result.deletedCount ?? 0;
  }
}

function fields(claim: IdempotencyClaim): Pick<UploadIdempotencyRecord, 'job_id' | 'fingerprint' | 'created_at' | 'expires_at'> {
  return { job_id: claim.jobId, fingerprint: claim.fingerprint, created_at: claim.at, expires_at: claim.expiresAt };
}
