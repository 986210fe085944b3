import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import { API_KEY_MODEL, type ApiKeyRecord } from './api-key.schema';

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
