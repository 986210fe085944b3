import { Injectable } from '@nestjs/common';
import { InvalidationCache } from '../redis/invalidation.cache';
import type { SealedToken } from '../tokens/token.store';
import { UserChangeBus } from './user-change.bus';
import { UsersConfig } from './users.config';

/**
 * Each replica's short-lived copy of users' tokens **as stored** (the envelope: ciphertext and
 * wrapped data key, never the plaintext), so that a proxy call that goes to Flickr decrypts in
 * memory instead of reading the token from the database first (issue 15: one MongoDB round trip
 * less on every uncached call). Same bounds and the same UserChangeBus as UserConnectionCache:
 * connecting again, re-authorisation and erasure drop the entry on every replica. A cached
 * envelope that no longer opens (e.g. its KMS key version was retired after a rewrap) is dropped
 * and the token read again.
 */
@Injectable()
export class UserTokenCache extends InvalidationCache<SealedToken> {
  constructor(config: UsersConfig, bus: UserChangeBus) {
    super(bus, { ttlMs: config.USERS_CONNECTION_CACHE_TTL_MS, maxEntries: config.USERS_CONNECTION_CACHE_MAX_ENTRIES });
  }
}
