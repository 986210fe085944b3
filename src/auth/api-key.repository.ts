import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import { API_KEY_MODEL, type ApiKeyRecord, type ApiKeyRotationClaim } from './api-key.schema';

const ROTATION_CLAIMS = 'api_key_rotations';
const DUPLICATE_KEY = 11000;

export interface ApiKeyFilter {
  client_id?: string;
  role?: string;
  status?: string;
}

/** Adapter over `api_keys`: single-purpose reads and writes, no rules. */
@Injectable()
export class ApiKeyRepository {
  constructor(@InjectModel(API_KEY_MODEL) private readonly keys: Model<ApiKeyRecord>) {}

  async insert(record: ApiKeyRecord): Promise<void> {
    await this.keys.create(record);
  }

  async findById(keyId: string): Promise<ApiKeyRecord | null> {
    return this.keys.findOne({ key_id: keyId }).lean<ApiKeyRecord>().exec();
  }

  /** Applies `set` and returns the updated record (null when the key does not exist). */
  async update(keyId: string, set: Partial<ApiKeyRecord>): Promise<ApiKeyRecord | null> {
    return this.keys
      .findOneAndUpdate({ key_id: keyId }, { $set: set }, { returnDocument: 'after' })
      .lean<ApiKeyRecord>()
      .exec();
  }

  /**
   * Rotation's compare-and-set: applies `set` (and the next secret_version)
   * only if the key is still active and still at `readVersion`, the
   * secret_version the caller read (undefined: a key that never had one).
   * Null when the record changed meanwhile (or is gone / revoked).
   */
  async replaceSecrets(keyId: string, readVersion: number | undefined, set: Partial<ApiKeyRecord>): Promise<ApiKeyRecord | null> {
    const unchanged = readVersion === undefined ? { $exists: false } : readVersion;
    return this.keys
      .findOneAndUpdate(
        { key_id: keyId, status: 'active', secret_version: unchanged },
        { $set: { ...set, secret_version: (readVersion ?? 0) + 1 } },
        { returnDocument: 'after' },
      )
      .lean<ApiKeyRecord>()
      .exec();
  }

  /** Inserts a rotation claim; false when a claim with this `_id` already exists. */
  async insertRotationClaim(claim: ApiKeyRotationClaim): Promise<boolean> {
    try {
      await this.keys.db.collection<ApiKeyRotationClaim>(ROTATION_CLAIMS).insertOne(claim);
      return true;
    } catch (error) {
      if ((error as { code?: number }).code === DUPLICATE_KEY) return false;
      throw error;
    }
  }

  findRotationClaim(id: string): Promise<ApiKeyRotationClaim | null> {
    return this.keys.db.collection<ApiKeyRotationClaim>(ROTATION_CLAIMS).findOne({ _id: id });
  }

  /** Newest first; `after` is the key_id of the last item of the previous page. */
  async list(filter: ApiKeyFilter, limit: number, after?: { created_at: Date; key_id: string }): Promise<ApiKeyRecord[]> {
    const query: Record<string, unknown> = Object.fromEntries(Object.entries(filter).filter(([, v]) => v !== undefined));
    if (after) {
      query.$or = [
        { created_at: { $lt: after.created_at } },
        { created_at: after.created_at, key_id: { $lt: after.key_id } },
      ];
    }
    return this.keys.find(query).sort({ created_at: -1, key_id: -1 }).limit(limit).lean<ApiKeyRecord[]>().exec();
  }

  async countAdmins(): Promise<number> {
    return this.keys.countDocuments({ role: 'admin', status: 'active' }).exec();
  }
}
