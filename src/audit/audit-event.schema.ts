import { Schema } from 'mongoose';

/** Collection `audit_events`; the audit issue adopts it. Never holds secrets. */
export const AUDIT_EVENT_MODEL = 'AuditEvent';

export interface AuditEvent {
  at: Date;
  /** e.g. kms.key.rotated, kms.rewrap.started, kms.rewrap.completed, tokens.migration.batch */
  action: string;
  /** Who caused it: admin-api, schedule, cli, ... */
  actor: string;
  /** What it acted on, e.g. the transit key name. */
  target: string;
  details: Record<string, unknown>;
}

export const AuditEventSchema = new Schema<AuditEvent>(
  {
    at: { type: Date, required: true, index: true },
    action: { type: String, required: true, index: true },
    actor: { type: String, required: true },
    target: { type: String, required: true },
    details: { type: Schema.Types.Mixed, default: {} },
  },
  { collection: 'audit_events', versionKey: false, minimize: false },
);
