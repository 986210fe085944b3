import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { type Model, Types } from 'mongoose';
import { AUDIT_LOG_MODEL, type AuditLogRecord } from './audit-log.schema';

export interface AuditLogFilter {
  key_id?: string;
  client_id?: string;
  user_id?: string;
  from?: Date;
  to?: Date;
}

export type StoredAuditLog = AuditLogRecord & { _id: Types.ObjectId };

/** Adapter over `audit_logs`. */
@Injectable()
export class AuditLogRepository {
  constructor(@InjectModel(AUDIT_LOG_MODEL) private readonly logs: Model<AuditLogRecord>) {}

  async insertMany(records: AuditLogRecord[]): Promise<void> {
    await this.logs.insertMany(records, { ordered: false, lean: true });
  }

  /** Newest first; `beforeId` is the cursor (the _id of the previous page's last record). */
  async find(filter: AuditLogFilter, limit: number, beforeId?: string): Promise<StoredAuditLog[]> {
    const query: Record<string, unknown> = {};
    if (filter.key_id) query.key_id = filter.key_id;
    if (filter.client_id) query.client_id = filter.client_id;
    if (filter.user_id) query.user_id = filter.user_id;
    if (filter.from || filter.to) {
      query.at = { ...(filter.from ? { $gte: filter.from } : {}), ...(filter.to ? { $lt: filter.to } : {}) };
    }
    if (beforeId) query._id = { $lt: new Types.ObjectId(beforeId) };
    return this.logs.find(query).sort({ _id: -1 }).limit(limit).lean<StoredAuditLog[]>().exec();
  }
}
