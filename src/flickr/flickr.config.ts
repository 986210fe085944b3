import { Transform } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, Min, ValidateBy } from 'class-validator';
import { ToInt } from '../config/env.transforms';
import type { ConfigSlice } from '../config/env.validation';
import { flickrMethod } from './flickr.methods';

/** Longest cache lifetime an override may set (7 days): past it a "cache" is a stale copy of Flickr. */
export const MAX_CACHE_TTL_OVERRIDE_S = 604_800;

/**
 * Parses `method=seconds,method=seconds`. Malformed entries are kept (as NaN)
 * so validation names them instead of silently dropping them.
 */
export function parseTtlOverrides(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const overrides: Record<string, number> = {};
  for (const entry of value.split(',').map((s) => s.trim()).filter(Boolean)) {
    const eq = entry.indexOf('=');
    const seconds = eq < 0 ? '' : entry.slice(eq + 1).trim();
    overrides[eq < 0 ? entry : entry.slice(0, eq).trim()] = /^\d+$/.test(seconds) ? Number(seconds) : NaN;
  }
  return overrides;
}

/** What is wrong with each override: not a proxiable read of the catalogue, or not 0..MAX seconds. */
export function ttlOverrideProblems(value: unknown): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return ['must be a list of method=seconds'];
  return Object.entries(value as Record<string, unknown>).flatMap(([name, ttl]) => {
    const method = flickrMethod(name);
    if (!method) return [`${name}: not a Flickr method of the catalogue`];
    if (method.gatewayOwned) return [`${name}: owned by the gateway, never proxied`];
    if (method.class !== 'read') return [`${name}: a write, never cached`];
    if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 0 || ttl > MAX_CACHE_TTL_OVERRIDE_S) {
      return [`${name}: seconds must be an integer from 0 to ${MAX_CACHE_TTL_OVERRIDE_S}`];
    }
    return [];
  });
}

/** Our Flickr app credentials, Flickr's URLs and the upstream protection settings. */
export class FlickrConfig implements ConfigSlice {
  /** The app's Flickr API key (OAuth consumer key). */
  @IsOptional()
  @IsString()
  FLICKR_CONSUMER_KEY?: string;

  @IsOptional()
  @IsString()
  FLICKR_CONSUMER_SECRET?: string;

  @Matches(/^https?:\/\/\S+$/, { message: 'must be an http(s) URL' })
  FLICKR_API_URL = 'https://api.flickr.com/services/rest';

  @Matches(/^https?:\/\/\S+$/, { message: 'must be an http(s) URL' })
  FLICKR_UPLOAD_URL = 'https://up.flickr.com/services/upload';

  @Matches(/^https?:\/\/\S+$/, { message: 'must be an http(s) URL' })
  FLICKR_OAUTH_URL = 'https://www.flickr.com/services/oauth';

  @ToInt()
  @IsInt()
  @Min(100)
  FLICKR_TIMEOUT_MS = 10_000;

  /** Upstream calls per window for our whole consumer key, all replicas together (Flickr allows 3,600/h). */
  @ToInt()
  @IsInt()
  @Min(1)
  FLICKR_BUDGET_LIMIT = 3500;

  @ToInt()
  @IsInt()
  @Min(1000)
  FLICKR_BUDGET_WINDOW_MS = 3_600_000;

  /**
   * Calls per FLICKR_BUDGET_WINDOW_MS that one process may still make while Redis (the shared budget) is
   * unreachable; size it as FLICKR_BUDGET_LIMIT divided by the processes that call Flickr (API replicas and
   * workers). 0 refuses every Flickr call while Redis is down (503 flickr-budget-exhausted).
   */
  @ToInt()
  @IsInt()
  @Min(0)
  FLICKR_BUDGET_FALLBACK_LIMIT = 350;

  /**
   * Percent of each Flickr app's budget no client may use while it is alone or borrowing beyond its fair
   * share: kept for clients that start calling, so a newcomer is served at once (docs/flickr.md "Fair share").
   * 0 lets one client use the whole budget; a newcomer then waits for calls to leave the window.
   */
  @ToInt()
  @IsInt()
  @Min(0)
  @Max(50)
  FLICKR_BUDGET_RESERVE_PERCENT = 5;

  /** Consecutive HTTP 429 answers that open the circuit breaker (shared by all replicas, per Flickr app). */
  @ToInt()
  @IsInt()
  @Min(1)
  FLICKR_BREAKER_THRESHOLD = 3;

  /** How long the breaker stays open before one half-open probe. */
  @ToInt()
  @IsInt()
  @Min(100)
  FLICKR_BREAKER_OPEN_MS = 300_000;

  /** Retries of idempotent reads after a 5xx, a timeout or code 105. */
  @ToInt()
  @IsInt()
  @Min(0)
  FLICKR_READ_RETRIES = 2;

  @ToInt()
  @IsInt()
  @Min(1)
  FLICKR_RETRY_BASE_MS = 200;

  /**
   * How long this process keeps a cached answer in its own memory in front of Redis (ms; 0 = off). Never
   * longer than the answer's remaining lifetime in Redis, so a read is never older than its cache TTL; a hot
   * read then costs no Redis round trip at all. Bounded by FLICKR_CACHE_LOCAL_MAX_ENTRIES, answers over 64 KiB
   * are not kept.
   */
  @ToInt()
  @IsInt()
  @Min(0)
  @Max(60_000)
  FLICKR_CACHE_LOCAL_TTL_MS = 1000;

  /** Most answers this process keeps in memory (see FLICKR_CACHE_LOCAL_TTL_MS); the oldest goes first. */
  @ToInt()
  @IsInt()
  @Min(0)
  @Max(100_000)
  FLICKR_CACHE_LOCAL_MAX_ENTRIES = 1000;

  /**
   * Cache lifetimes that replace the catalogue's defaults for some reads, e.g.
   * `flickr.photos.search=30,flickr.urls.lookupUser=86400`; 0 turns caching off for that method.
   */
  @Transform(({ value }) => parseTtlOverrides(value))
  @ValidateBy({
    name: 'flickrCacheTtlOverrides',
    validator: {
      validate: (value) => ttlOverrideProblems(value).length === 0,
      defaultMessage: (args) => ttlOverrideProblems(args?.value).join('; '),
    },
  })
  FLICKR_CACHE_TTL_OVERRIDES: Record<string, number> = {};

  productionProblems(): string[] {
    const problems: string[] = [];
    if (!this.FLICKR_CONSUMER_KEY) problems.push('FLICKR_CONSUMER_KEY: must be set in production');
    if (!this.FLICKR_CONSUMER_SECRET) problems.push('FLICKR_CONSUMER_SECRET: must be set in production');
    for (const name of ['FLICKR_API_URL', 'FLICKR_UPLOAD_URL', 'FLICKR_OAUTH_URL'] as const) {
      if (!this[name].startsWith('https://')) problems.push(`${name}: must be https in production`);
    }
    return problems;
  }
}
