import { Injectable } from '@nestjs/common';
import { InvalidationCache } from '../redis/invalidation.cache';
import { UserChangeBus } from './user-change.bus';
import type { UserRecord } from './user.schema';
import { UsersConfig } from './users.config';

/**
 * Each replica's short-lived copy of users' records (registration and Flickr connection state), so
 * that a proxy call answered from the response cache touches no database (issue 15). Bounded
 * (USERS_CONNECTION_CACHE_MAX_ENTRIES, oldest out first) and short-lived
 * (USERS_CONNECTION_CACHE_TTL_MS); every change to a user is announced on the UserChangeBus and
 * drops the entry on every replica (see InvalidationCache for reconnections and in-flight reads).
 */
@Injectable()
export class UserConnectionCache extends InvalidationCache<UserRecord> {
  constructor(config: UsersConfig, bus: UserChangeBus) {
    super(bus, { ttlMs: config.USERS_CONNECTION_CACHE_TTL_MS, maxEntries: config.USERS_CONNECTION_CACHE_MAX_ENTRIES });
  }
}
