import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import { SECURITY_EVENT_MODEL, type SecurityEvent } from './security-event.schema';

/** Append-only writer of audit events (adapter over `audit_events`). */
@Injectable()
export class SecurityEvents {
  constructor(@InjectModel(SECURITY_EVENT_MODEL) private readonly events: Model<SecurityEvent>) {}

  async record(event: Omit<SecurityEvent, 'at'>): Promise<void> {
    await this.events.create({ ...event, at: new Date() });
  }

  /** Newest first, for the admin API and tests. */
  async recent(action: RegExp, limit = 50): Promise<SecurityEvent[]> {
    return this.events.find({ action }).sort({ at: -1, _id: -1 }).limit(limit).lean<SecurityEvent[]>().exec();
  }
}
