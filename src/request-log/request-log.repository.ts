import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { type Model, Types } from 'mongoose';
import { REQUEST_LOG_MODEL, type RequestLogBatch, type RequestLogEntry, type RequestLogRecord } from './request-log.schema';

export interface RequestLogFilter {
  key_id?: string;
  client_id?: string;
  user_id?: string;
  from?: Date;
  to?: Date;
}

/** A record as read back, with its id: `<batch _id>.<index in the batch>`, or the bare _id of an earlier-format document. */
export type StoredRequestLog = { id: string } & RequestLogRecord;

/**
 * A position in the newest-first order: the batch (document) and the index of a record in it. Without `index` the
 * whole document is behind the position (an earlier-format document holds one record).
 */
export interface RequestLogPosition {
  batchId: string;
  index?: number;
}

/** A document as stored: a batch, or one record of the earlier format (see request-log.schema.ts). */
type StoredDocument = (RequestLogBatch | RequestLogRecord) & { _id: Types.ObjectId };

/**
 * Batches read per query start at this many documents and double up to MAX_CHUNK: a batch holds up to
 * AUDIT_BATCH_SIZE records, so an unfiltered page is usually in the first few, and a query never holds more than
 * MAX_CHUNK batches in memory at once.
 */
const FIRST_CHUNK = 4;
const MAX_CHUNK = 64;

/** Adapter over `audit_logs`: one document per client per flush, read back as single records. */
@Injectable()
export class RequestLogRepository {
  constructor(@InjectModel(REQUEST_LOG_MODEL) private readonly logs: Model<RequestLogBatch>) {}

  /** Stores records as one batch document per client (one insert for all of them). */
  async insertMany(records: readonly RequestLogRecord[]): Promise<void> {
    const byClient = new Map<string | null, RequestLogRecord[]>();
    for (const r of records) {
      const group = byClient.get(r.client_id);
      if (group) group.push(r);
      else byClient.set(r.client_id, [r]);
    }
    const batches: RequestLogBatch[] = [];
    for (const [clientId, group] of byClient) batches.push(toBatch(clientId, group));
    await this.logs.insertMany(batches, { ordered: false, lean: true });
  }

  /**
   * Up to `limit` records matching `filter`, newest first, strictly behind `before` when given. Reads batches
   * newest first (an index range on the filtered field), a few at a time, and keeps the matching records.
   */
  async find(filter: RequestLogFilter, limit: number, before?: RequestLogPosition): Promise<StoredRequestLog[]> {
    const found: StoredRequestLog[] = [];
    let position = before;
    const query = batchQuery(filter);
    for (let chunk = FIRST_CHUNK; ; chunk = Math.min(chunk * 2, MAX_CHUNK)) {
      if (position) query._id = { $lte: new Types.ObjectId(position.batchId) };
      const docs = await this.logs.find(query).sort({ _id: -1 }).limit(chunk).lean<StoredDocument[]>().exec();
      for (const doc of docs) {
        const batchId = doc._id.toHexString();
        if ('records' in doc) {
          const entries = decodeRecords(doc.records);
          let i = entries.length - 1;
          if (position?.batchId === batchId) i = position.index === undefined ? -1 : Math.min(i, position.index - 1);
          for (; i >= 0; i--) {
            const entry = entries[i]!;
            if (!matches(entry, filter)) continue;
            found.push({ id: `${batchId}.${i}`, ...entry, client_id: doc.client_id });
            if (found.length === limit) return found;
          }
        } else if (position?.batchId !== batchId && matches(doc, filter)) {
          const { _id, ...record } = doc;
          found.push({ id: batchId, ...record });
          if (found.length === limit) return found;
        }
      }
      if (docs.length < chunk) return found;
      // Everything up to and including the last document read is done.
      position = { batchId: docs[docs.length - 1]!._id.toHexString() };
    }
  }
}

function toBatch(clientId: string | null, records: readonly RequestLogRecord[]): RequestLogBatch {
  const keyIds = new Set<string>();
  const userIds = new Set<string>();
  let first = records[0]!.at;
  let last = first;
  const entries: RequestLogEntry[] = [];
  for (const { client_id: _, ...entry } of records) {
    if (entry.key_id !== null) keyIds.add(entry.key_id);
    if (entry.user_id !== null) userIds.add(entry.user_id);
    if (entry.at < first) first = entry.at;
    if (entry.at > last) last = entry.at;
    entries.push(entry);
  }
  return { at: last, first_at: first, client_id: clientId, key_id: [...keyIds], user_id: [...userIds], records: JSON.stringify(entries) };
}

/** A batch's records from their JSON text (`at` back to a Date). */
export function decodeRecords(text: string): RequestLogEntry[] {
  const entries = JSON.parse(text) as Array<RequestLogEntry & { at: string }>;
  return entries.map((e) => ({ ...e, at: new Date(e.at) }));
}

/**
 * The documents that may hold a matching record. Equality on `key_id`/`user_id` matches a batch holding the value
 * in its array and an earlier-format document holding it as a scalar; a batch overlaps [from, to) when its newest
 * record is not before `from` and its oldest is before `to`.
 */
function batchQuery(filter: RequestLogFilter): Record<string, unknown> {
  const query: Record<string, unknown> = {};
  if (filter.client_id) query.client_id = filter.client_id;
  if (filter.key_id) query.key_id = filter.key_id;
  if (filter.user_id) query.user_id = filter.user_id;
  if (filter.from) query.at = { $gte: filter.from };
  if (filter.to) query.$or = [{ first_at: { $lt: filter.to } }, { first_at: { $exists: false }, at: { $lt: filter.to } }];
  return query;
}

function matches(record: RequestLogEntry, filter: RequestLogFilter): boolean {
  if (filter.key_id && record.key_id !== filter.key_id) return false;
  if (filter.user_id && record.user_id !== filter.user_id) return false;
  if (filter.from && record.at < filter.from) return false;
  if (filter.to && record.at >= filter.to) return false;
  return true;
}
