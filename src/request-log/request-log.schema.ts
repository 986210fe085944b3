import { Schema } from 'mongoose';

export const REQUEST_LOG_MODEL = 'RequestLog';

/**
 * One API call, as the hook records it and the admin API shows it. Never holds keys, secrets or bodies.
 */
export interface RequestLogRecord {
  at: Date;
  key_id: string | null;
  client_id: string | null;
  source_ip: string;
  method: string;
  /** Route template (e.g. /v1/users/:user_id), never the raw URL. */
  route: string;
  user_id: string | null;
  status: number;
  latency_ms: number;
  request_id: string;
}

/** A record inside a stored batch: the batch holds its client_id. */
export type RequestLogEntry = Omit<RequestLogRecord, 'client_id'>;

/**
 * What `audit_logs` stores: one document per client per flush, holding that client's records of the flush in the
 * order they were taken (oldest first), as one JSON text (`records`: an array of RequestLogEntry, `at` as ISO 8601).
 *
 * Why batches, and why JSON text: on the local stack (FerretDB on PostgreSQL) a document per call cost more machine
 * CPU (≈ 150 µs: FerretDB's conversion plus one PostgreSQL row and five index entries) than the gateway spent
 * answering the call. One document per batch with the records as subdocuments still cost FerretDB ≈ 83 µs per record
 * (it converts every value); the same records as one string cost ≈ 13 µs (measured in docs/performance.md). Nothing
 * queries inside a record in the database: the admin API narrows to documents by the fields below and filters records
 * in the gateway.
 *
 * Why these field names: `key_id` and `user_id` hold the batch's distinct non-null values as arrays, so the existing
 * indexes `{key_id, _id}` and `{user_id, _id}` become multikey indexes over them and the same filter `{key_id: X}`
 * matches both a batch containing X and a document of the earlier format (one call per document, scalar fields,
 * no `records`), which stays readable until its TTL removes it. `at` is the newest record's time (the TTL and `from`
 * bound), `first_at` the oldest's (the `to` bound).
 */
export interface RequestLogBatch {
  at: Date;
  first_at: Date;
  client_id: string | null;
  key_id: string[];
  user_id: string[];
  /** JSON text of RequestLogEntry[], oldest first. */
  records: string;
}

/** The schema with its TTL index; retention comes from AUDIT_RETENTION_DAYS. */
export function requestLogSchema(retentionDays: number): Schema<RequestLogBatch> {
  const schema = new Schema<RequestLogBatch>(
    {
      at: { type: Date, required: true },
      first_at: { type: Date, required: true },
      client_id: { type: String, default: null },
      key_id: { type: [String], default: [] },
      user_id: { type: [String], default: [] },
      records: { type: String, required: true },
    },
    // The collection keeps its historical name (the feature was called "audit log"): existing documents and their
    // TTL index keep working; do not rename it without a data migration.
    { collection: 'audit_logs', versionKey: false },
  );
  schema.index({ at: 1 }, { expireAfterSeconds: retentionDays * 86400 });
  schema.index({ key_id: 1, _id: -1 });
  schema.index({ client_id: 1, _id: -1 });
  schema.index({ user_id: 1, _id: -1 });
  return schema;
}
