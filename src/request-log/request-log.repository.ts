import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { type Model, Types } from 'mongoose';
import { REQUEST_LOG_MODEL, type RequestLogRecord } from './request-log.schema';

export interface RequestLogFilter {
  key_id?: string;
  client_id?: string;
  user_id?: string;
  from?: Date;
  to?: Date;
}

export type StoredRequestLog = RequestLogRecord & { _id: Types.ObjectId };

/** Adapter over `audit_logs`. */
@Injectable()
export class RequestLogRepository {
  constructor(@InjectModel(REQUEST_LOG_MODEL) private readonly logs: Model<RequestLogRecord>) {}

  async insertMany(records: RequestLogRecord[]): Promise<void> {
    await this.logs.insertMany(records, { ordered: false, lean: true });
  }

  /** Newest first; `beforeId` is the cursor (the _id of the previous page's last record). */
  async find(filter: RequestLogFilter, limit: number, beforeId?: string): Promise<StoredRequestLog[]> {
    const query: Record<string, unknown> = {};
    if (filter.key_id) query.key_id = filter.key_id;
    if (filter.client_id) query.client_id = filter.client_id;
    if (filter.user_id) query.user_id = filter.user_id;
    if (filter.from || filter.to) {
      query.at = { ...(filter.from ? { $gte: filter.from } : {}), ...(filter.to ? { $lt: filter.to } : {}) };
    }
    if (beforeId) query._id = { $lt: new Types.ObjectId(beforeId) };
    return this.logs.find(query).sort({ _id: -1 }).limit(limit).lean<StoredRequestLog[]>().exec();
  }
}
