import { Schema } from 'mongoose';

/**
 * Security events (key issued/rotated/revoked, user erased, KMS rotation and rewrap, ...). Never holds secrets.
 * The collection keeps its historical name `audit_events` so that stored events stay readable after the
 * feature was renamed from "audit" to "security events"; do not rename it without a data migration.
 */
export const SECURITY_EVENT_MODEL = 'SecurityEvent';

export interface SecurityEvent {
  at: Date;
  /** e.g. kms.key.rotated, kms.rewrap.started, kms.rewrap.completed, tokens.migration.batch */
  action: string;
  /** Who caused it: admin-api, schedule, cli, ... */
  actor: string;
  /** What it acted on, e.g. the transit key name. */
  target: string;
  details: Record<string, unknown>;
}

export const SecurityEventSchema = new Schema<SecurityEvent>(
  {
    at: { type: Date, required: true, index: true },
    action: { type: String, required: true, index: true },
    actor: { type: String, required: true },
    target: { type: String, required: true },
    details: { type: Schema.Types.Mixed, default: {} },
  },
  { collection: 'audit_events', versionKey: false, minimize: false },
);
