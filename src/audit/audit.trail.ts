import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import { AUDIT_EVENT_MODEL, type AuditEvent } from './audit-event.schema';

/** Append-only writer of audit events (adapter over `audit_events`). */
@Injectable()
export class AuditTrail {
  constructor(@InjectModel(AUDIT_EVENT_MODEL) private readonly events: Model<AuditEvent>) {}

  async record(event: Omit<AuditEvent, 'at'>): Promise<void> {
    await this.events.create({ ...event, at: new Date() });
  }

  /** Newest first, for the admin API and tests. */
  async recent(action: RegExp, limit = 50): Promise<AuditEvent[]> {
    return this.events.find({ action }).sort({ at: -1, _id: -1 }).limit(limit).lean<AuditEvent[]>().exec();
  }
}
