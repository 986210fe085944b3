import { Schema, type Types } from 'mongoose';

/**
 * Security events (key issued/rotated/revoked, user erased, KMS rotation and rewrap, ...). Never holds secrets.
 * The collection keeps its historical name `audit_events` so that stored events stay readable after the
 * feature was renamed from "audit" to "security events"; do not rename it without a data migration.
 */
export const SECURITY_EVENT_MODEL = 'SecurityEvent';

export interface SecurityEvent {
  at: Date;
  /** e.g. auth.key.created, auth.key.rotated, user.erased, kms.key.rotated, kms.rewrap.completed */
  action: string;
  /** Who caused it: admin-key:<key_id>, schedule, cli, ... */
  actor: string;
  /** What it acted on, e.g. the key id, the scoped user, the transit key name. */
  target: string;
  /**
   * The API key the event is about, and the client it belongs to, when known: top-level copies so the admin
   * query can filter on them with an index. Events stored before these fields existed have neither.
   */
  key_id?: string | null;
  client_id?: string | null;
  details: Record<string, unknown>;
}

export type StoredSecurityEvent = SecurityEvent & { _id: Types.ObjectId };

export const SecurityEventSchema = new Schema<SecurityEvent>(
  {
    at: { type: Date, required: true },
    action: { type: String, required: true },
    actor: { type: String, required: true },
    target: { type: String, required: true },
    key_id: { type: String, default: null },
    client_id: { type: String, default: null },
    details: { type: Schema.Types.Mixed, default: {} },
  },
  { collection: 'audit_events', versionKey: false, minimize: false },
);

// The admin query reads newest first on (at, _id), its cursor's order; each filter it offers has an
// index that starts with the filtered field and continues in that order, so a page is one index range.
SecurityEventSchema.index({ at: -1, _id: -1 });
SecurityEventSchema.index({ action: 1, at: -1, _id: -1 });
SecurityEventSchema.index({ key_id: 1, at: -1, _id: -1 });
SecurityEventSchema.index({ client_id: 1, at: -1, _id: -1 });
