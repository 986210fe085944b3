import { Injectable } from '@nestjs/common';
import { Types } from 'mongoose';
import { decodeCursor, type Page, pageOf } from '../common/pagination/cursor';
import { ValidationProblem } from '../common/problem/problem.exception';
import type { SecurityEvent } from './security-event.schema';
import { type SecurityEventFilter, SecurityEventsRepository } from './security-events.repository';

/** What a feature reports; `at` is set here, `key_id`/`client_id` are derived when not given. */
export type NewSecurityEvent = Omit<SecurityEvent, 'at' | 'key_id' | 'client_id'> & { key_id?: string; client_id?: string };

/** One security event as the admin API shows it. */
export interface SecurityEventView {
  id: string;
  at: Date;
  action: string;
  actor: string;
  target: string;
  key_id: string | null;
  client_id: string | null;
  details: Record<string, unknown>;
}

export type SecurityEventPage = Page<SecurityEventView>;

/** A cursor position's id in this list is the event's _id (hex), the tie-breaker after `at`. */
const EVENT_ID = /^[0-9a-f]{24}$/;

/**
 * The security events of the gateway (append-only, collection `audit_events`): features record what
 * happened to keys, users and encryption keys; the admin API lists them.
 */
@Injectable()
export class SecurityEvents {
  constructor(private readonly repo: SecurityEventsRepository) {}

  /**
   * Appends one event. Without an explicit key_id/client_id, a key event (`auth.key.*`) is about the key
   * in `target`, and `details.client_id` names the client; both become filterable fields. A key event that
   * names no client (update, rotation, revocation) takes the client from the key's earlier events, so the
   * client filter finds every event of a client's keys; key events are admin actions, rare enough for
   * that one indexed read.
   */
  async record(event: NewSecurityEvent): Promise<void> {
    const keyId = event.key_id ?? (event.action.startsWith('auth.key.') ? event.target : null);
    let clientId = event.client_id ?? (typeof event.details.client_id === 'string' ? event.details.client_id : null);
    if (clientId === null && keyId !== null) clientId = await this.repo.clientOfKey(keyId);
    await this.repo.insert({ ...event, key_id: keyId, client_id: clientId, at: new Date() });
  }

  /** Newest first, for tests and scripts. */
  async recent(action: RegExp, limit = 50): Promise<SecurityEvent[]> {
    return this.repo.recent(action, limit);
  }

  /** One page of the admin query, newest first; `cursor` is the previous page's `next_cursor`. */
  async query(filter: SecurityEventFilter, limit: number, cursor?: string): Promise<SecurityEventPage> {
    if (filter.from && filter.to && filter.from >= filter.to) throw new ValidationProblem(['from: must be before to']);
    const position = cursor === undefined ? undefined : decodeCursor(cursor, EVENT_ID);
    const after = position && { at: position.at, id: new Types.ObjectId(position.id) };
    const events = await this.repo.find(filter, limit + 1, after);
    return pageOf(
      events,
      limit,
      (e) => ({ at: e.at, id: e._id.toHexString() }),
      (e) => ({
        id: e._id.toHexString(),
        at: e.at,
        action: e.action,
        actor: e.actor,
        target: e.target,
        key_id: e.key_id ?? null,
        client_id: e.client_id ?? null,
        details: e.details ?? {},
      }),
    );
  }
}
