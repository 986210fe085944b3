import { Injectable } from '@nestjs/common';
import { UserChangeBus } from './user-change.bus';
import type { UserRecord } from './user.schema';
import { UsersConfig } from './users.config';

interface Entry {
  record: UserRecord;
  expiresAt: number;
}

/**
 * Each replica's short-lived copy of users' records (registration and Flickr connection state), so
 * that a proxy call answered from the response cache touches no database (issue 15). Bounded (oldest
 * out first) and short-lived (USERS_CONNECTION_CACHE_TTL_MS); every change to a user is announced on
 * the UserChangeBus and drops the entry on every replica; a reconnecting subscriber drops everything,
 * since announcements may have been missed meanwhile.
 *
 * A read that started before a change must not put the old state back: `epoch` counts invalidations,
 * and a record read under an older epoch is not stored.
 */
@Injectable()
export class UserConnectionCache {
  private readonly entries = new Map<string, Entry>();
  private epochCounter = 0;

  constructor(
    private readonly config: UsersConfig,
    bus: UserChangeBus,
  ) {
    bus.onChange((key) => this.invalidate(key));
    bus.onResubscribed(() => this.clear());
  }

  /** The invalidation count; pass it back to {@link set} so a read older than a change is not cached. */
  get epoch(): number {
    return this.epochCounter;
  }

  get(key: string): UserRecord | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.record;
  }

  set(key: string, record: UserRecord, readAtEpoch: number): void {
    const ttl = this.config.USERS_CONNECTION_CACHE_TTL_MS;
    if (ttl === 0 || readAtEpoch !== this.epochCounter) return;
    if (this.entries.size >= this.config.USERS_CONNECTION_CACHE_MAX_ENTRIES) {
      // Map iteration is insertion order: the first key is the oldest entry.
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(key, { record, expiresAt: Date.now() + ttl });
  }

  invalidate(key: string): void {
    this.epochCounter++;
    this.entries.delete(key);
  }

  clear(): void {
    this.epochCounter++;
    this.entries.clear();
  }
}
