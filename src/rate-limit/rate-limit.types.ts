/** Method classes with separate per-user quotas; `admin` is for /admin routes. */
export const RATE_LIMIT_CLASSES = ['read', 'write', 'upload', 'admin'] as const;
export type RateLimitClass = (typeof RATE_LIMIT_CLASSES)[number];

/** Label of a refusal: a method class, or `auth-failure` for brute-force protection. */
export type RateLimitLabel = RateLimitClass | 'auth-failure';

/** Who a limit is counted against. */
export type RateLimitScope = 'key' | 'user' | 'ip';

/** The outcome of one atomic check-and-count. */
export interface WindowResult {
  allowed: boolean;
  /** Requests in the window after this one (this one included when allowed). */
  count: number;
  /** Milliseconds until one slot frees up; 0 when allowed. */
  retryAfterMs: number;
  /** Milliseconds until the whole window is empty again (the oldest counted request ages out last). */
  resetMs: number;
}

/**
 * What the auth layer attaches to the request so limits can be counted per key.
 * `rateLimit` is the key's own per-minute override from the admin API, if any.
 */
export interface RateLimitPrincipal {
  keyId: string;
  /** The client the key belongs to: per-user windows are scoped by it. */
  clientId: string;
  rateLimit?: number | null;
}
