import { Schema } from 'mongoose';

export const REQUEST_LOG_MODEL = 'RequestLog';

/**
 * One record per API call. Never holds keys, secrets or bodies. Stored in the collection `audit_logs`, its
 * historical name (the feature was called "audit log"): existing records and their TTL index keep working;
 * do not rename it without a data migration.
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

/** The schema with its TTL index; retention comes from AUDIT_RETENTION_DAYS. */
export function requestLogSchema(retentionDays: number): Schema<RequestLogRecord> {
  const schema = new Schema<RequestLogRecord>(
    {
      at: { type: Date, required: true },
      key_id: { type: String, default: null },
      client_id: { type: String, default: null },
      source_ip: { type: String, required: true },
      method: { type: String, required: true },
      route: { type: String, required: true },
      user_id: { type: String, default: null },
      status: { type: Number, required: true },
      latency_ms: { type: Number, required: true },
      request_id: { type: String, required: true },
    },
    { collection: 'audit_logs', versionKey: false },
  );
  schema.index({ at: 1 }, { expireAfterSeconds: retentionDays * 86400 });
  schema.index({ key_id: 1, _id: -1 });
  schema.index({ client_id: 1, _id: -1 });
  schema.index({ user_id: 1, _id: -1 });
  return schema;
}
