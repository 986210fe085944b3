import { IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { ToInt, ToList } from '../config/env.transforms';
import type { ConfigSlice } from '../config/env.validation';

/** Client authentication: API keys, HMAC signing, trusted proxies (docs/authentication.md). */
export class AuthConfig implements ConfigSlice {
  /** bcrypt cost of stored key secrets; 12 is ~250 ms per hash on a server core. */
  @ToInt()
  @IsInt()
  @Min(4)
  @Max(15)
  AUTH_BCRYPT_COST = 12;

  /** How long a successful verification is remembered in memory (ms); 0 runs bcrypt on every request. */
  @ToInt()
  @IsInt()
  @Min(0)
  @Max(10 * 60 * 1000)
  AUTH_VERIFY_CACHE_TTL_MS = 60_000;

  /** Most verifications remembered per process. */
  @ToInt()
  @IsInt()
  @Min(1)
  AUTH_VERIFY_CACHE_MAX_ENTRIES = 10_000;

  /** How long the previous secret keeps working after a rotation (s), unless the rotate call says otherwise. */
  @ToInt()
  @IsInt()
  @Min(0)
  AUTH_ROTATION_GRACE_SECONDS = 24 * 3600;

  /** Accepted clock difference of a signed request's timestamp (s), both ways. */
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(3600)
  AUTH_HMAC_MAX_SKEW_SECONDS = 300;

  /** Peers (IPs or CIDRs) whose X-Forwarded-For is believed; empty: the socket address is the client. */
  @ToList()
  @Matches(/^[0-9A-Fa-f.:]+(\/\d{1,3})?$/, { each: true, message: 'must be a list of IPs or CIDRs' })
  AUTH_TRUSTED_PROXIES: string[] = [];

  /** Secret prefix of the hash that names cache entries (cacheKeyOf); empty: random per process (the cache is per process). */
  @IsOptional()
  @IsString()
  AUTH_CACHE_HASH_KEY?: string;

  productionProblems(): string[] {
    return [];
  }
}
