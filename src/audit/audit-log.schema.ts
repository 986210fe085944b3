import { Schema } from 'mongoose';

export const AUDIT_LOG_MODEL = 'AuditLog';

/** Collection `audit_logs`: one record per API call. Never holds keys, secrets or bodies. */
export interface AuditLogRecord {
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
export function auditLogSchema(retentionDays: number): Schema<AuditLogRecord> {
  const schema = new Schema<AuditLogRecord>(
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
