import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import { UPLOAD_IDEMPOTENCY_MODEL, type UploadIdempotencyRecord } from './upload-job.schema';

/**
 * Adapter over `upload_idempotency`. MongoDB rather than Redis: a lost record
 * would mean a duplicate photo, and the unique index makes the claim atomic.
 */
@Injectable()
export class UploadIdempotencyStore {
  constructor(@InjectModel(UPLOAD_IDEMPOTENCY_MODEL) private readonly records: Model<UploadIdempotencyRecord>) {}

  /** Claims the key for `jobId`; returns the existing record instead when the key is taken. */
  async claim(clientId: string, key: string, jobId: string, at: Date): Promise<UploadIdempotencyRecord | null> {
    try {
      await this.records.create({ client_id: clientId, key, job_id: jobId, done: false, created_at: at });
      return null;
    } catch (err) {
      if ((err as { code?: number }).code !== 11000) throw err;
      return this.records.findOne({ client_id: clientId, key }).lean<UploadIdempotencyRecord>().exec();
    }
  }

  async markDone(clientId: string, key: string, jobId: string): Promise<void> {
    await this.records.updateOne({ client_id: clientId, key, job_id: jobId }, { $set: { done: true } }).exec();
  }

  /** Frees the key (the request it belonged to was refused, or the record aged out). */
  async release(clientId: string, key: string, jobId: string): Promise<void> {
    await this.records.deleteOne({ client_id: clientId, key, job_id: jobId }).exec();
  }
}
