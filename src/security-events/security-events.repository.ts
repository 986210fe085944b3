import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Model, Types } from 'mongoose';
import { SECURITY_EVENT_MODEL, type SecurityEvent, type StoredSecurityEvent } from './security-event.schema';

/** What the admin query filters on; every field is optional and they combine with AND. */
export interface SecurityEventFilter {
  /** Exact action, or every action under a prefix (`auth.key.` matches auth.key.created, ...). */
  action?: { exact: string } | { prefix: string };
  key_id?: string;
  client_id?: string;
  /** Inclusive lower bound on `at`. */
  from?: Date;
  /** Exclusive upper bound on `at`. */
  to?: Date;
}

/** A position in the newest-first order: the last event of the previous page. */
export interface SecurityEventPosition {
  at: Date;
  id: Types.ObjectId;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Adapter over `audit_events`: append and read, nothing else. */
@Injectable()
export class SecurityEventsRepository {
  constructor(@InjectModel(SECURITY_EVENT_MODEL) private readonly events: Model<SecurityEvent>) {}

  async insert(event: SecurityEvent): Promise<void> {
    await this.events.create(event);
  }

  /** Newest first on (at, _id), strictly after `after` when given. */
  async find(filter: SecurityEventFilter, limit: number, after?: SecurityEventPosition): Promise<StoredSecurityEvent[]> {
    const query: Record<string, unknown> = {};
    if (filter.action) {
      // An anchored prefix regex still uses the (action, at, _id) index as a range.
      query.action = 'exact' in filter.action ? filter.action.exact : { $regex: `^${escapeRegExp(filter.action.prefix)}` };
    }
    if (filter.key_id) query.key_id = filter.key_id;
    if (filter.client_id) query.client_id = filter.client_id;
    const at: Record<string, Date> = {};
    if (filter.from) at.$gte = filter.from;
    if (filter.to) at.$lt = filter.to;
    if (after) {
      // Strictly after the cursor in (at desc, _id desc). The $lte bound starts the index range at the
      // cursor; the $or only drops the events at the cursor's instant that the previous page already had.
      at.$lte = after.at;
      query.$or = [{ at: { $lt: after.at } }, { _id: { $lt: after.id } }];
    }
    if (Object.keys(at).length > 0) query.at = at;
    return this.events.find(query).sort({ at: -1, _id: -1 }).limit(limit).lean<StoredSecurityEvent[]>().exec();
  }

  /**
   * The client a key belongs to, as its earlier events say: the newest event about the key that names a
   * client, else (events stored before key_id/client_id were fields) the key's creation event.
   */
  async clientOfKey(keyId: string): Promise<string | null> {
    const known = await this.events.findOne({ key_id: keyId, client_id: { $ne: null } }, { client_id: 1 }).sort({ at: -1, _id: -1 }).lean<SecurityEvent>().exec();
    if (known?.client_id) return known.client_id;
    const created = await this.events.findOne({ action: 'auth.key.created', target: keyId }, { details: 1 }).lean<SecurityEvent>().exec();
    const clientId = created?.details?.client_id;
    return typeof clientId === 'string' ? clientId : null;
  }

  /** Newest first among actions matching `action`; for tests and operators' scripts. */
  async recent(action: RegExp, limit: number): Promise<StoredSecurityEvent[]> {
    return this.events.find({ action }).sort({ at: -1, _id: -1 }).limit(limit).lean<StoredSecurityEvent[]>().exec();
  }
}
