import { createHmac, type KeyObject, randomBytes } from 'node:crypto';

/**
 * Key format `fgw_<id>_<secret>`: a fixed prefix secret scanners can match, a
 * public id (12 lower-case base32 characters) and 32 random bytes as base64url.
 * The id never contains `_`, so the first two underscores delimit it.
 */
export const API_KEY_PATTERN = /^fgw_([a-z2-7]{12})_([A-Za-z0-9_-]{43})$/;
/** Signing secrets for HMAC requests: `fgws_<secret>`. */
export const SIGNING_SECRET_PREFIX = 'fgws_';

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** A fresh public key id. */
export function newKeyId(): string {
  return Array.from(randomBytes(12), (b) => BASE32[b & 31]).join('');
}

/** A fresh high-entropy secret (256 bits). */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function formatApiKey(keyId: string, secret: string): string {
  return `fgw_${keyId}_${secret}`;
}

/** Splits a presented key; undefined when it is not in our format (no bcrypt for garbage). */
export function parseApiKey(presented: string): { keyId: string; secret: string } | undefined {
  const m = API_KEY_PATTERN.exec(presented);
  return m ? { keyId: m[1], secret: m[2] } : undefined;
}

/**
 * Keyed hash naming a cache entry, so the presented key itself is never held as a map key. Pass the
 * key as a KeyObject made once: from a Buffer, Node builds a new key object on every call (≈5 % of
 * the CPU of a cached proxy read in issue 15's profile).
 */
export function cacheKeyOf(hashKey: KeyObject | Buffer, presented: string): string {
  return createHmac('sha256', hashKey).update(presented).digest('base64url');
}
