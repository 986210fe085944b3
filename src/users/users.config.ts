import { IsInt, Max, Min } from 'class-validator';
import { ToInt } from '../config/env.transforms';
import type { ConfigSlice } from '../config/env.validation';

/** The users feature: the in-process cache of users' connection state (docs/performance.md). */
export class UsersConfig implements ConfigSlice {
  /**
   * How long a replica trusts its cached copy of a user's registration and connection state (ms).
   * Changes (erase, connect, re-authorisation required) reach every replica through Redis pub/sub
   * within milliseconds; this bounds staleness only when that announcement is lost. 0 disables the cache.
   */
  @ToInt()
  @IsInt()
  @Min(0)
  @Max(60_000)
  USERS_CONNECTION_CACHE_TTL_MS = 5_000;

  /** Most users whose connection state one replica keeps in memory (oldest dropped first). */
  @ToInt()
  @IsInt()
  @Min(1)
  USERS_CONNECTION_CACHE_MAX_ENTRIES = 10_000;

  productionProblems(): string[] {
    return [];
  }
}
