import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** Request headers of the signing scheme (docs/authentication.md). */
export const HMAC_HEADERS = {
  keyId: 'x-fgw-key-id',
  timestamp: 'x-fgw-timestamp',
  nonce: 'x-fgw-nonce',
  signature: 'x-fgw-signature',
} as const;

export const SIGNATURE_ALGORITHM = 'FGW1-HMAC-SHA256';

export interface SignedRequestParts {
  method: string;
  /** Path as sent on the wire (percent-encoding untouched), without the query. */
  path: string;
  /** Query string as sent, without `?` (may be empty). */
  query: string;
  /** Unix time in whole seconds, as the decimal string sent. */
  timestamp: string;
  nonce: string;
  body: Buffer;
}

/** `&`-separated parameters sorted by byte order of their encoded `name=value` form; encoding untouched. */
export function canonicalQuery(query: string): string {
  if (!query) return '';
  return query
    .split('&')
    .filter((p) => p.length > 0)
    .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
    .join('&');
}

/** The exact bytes that get signed: seven lines joined by `\n`, no trailing newline. */
export function stringToSign(parts: SignedRequestParts): string {
  return [
    SIGNATURE_ALGORITHM,
    parts.method.toUpperCase(),
    parts.path,
    canonicalQuery(parts.query),
    parts.timestamp,
    parts.nonce,
    createHash('sha256').update(parts.body).digest('hex'),
  ].join('\n');
}

/** Lower-case hex HMAC-SHA256 of the string to sign, keyed by the signing secret's UTF-8 bytes. */
export function sign(secret: string, parts: SignedRequestParts): string {
  return createHmac('sha256', secret).update(stringToSign(parts)).digest('hex');
}

/** Constant-time comparison of a presented signature with the expected one. */
export function signatureMatches(secret: string, parts: SignedRequestParts, presented: string): boolean {
  const expected = Buffer.from(sign(secret, parts), 'utf8');
  const given = Buffer.from(presented.toLowerCase(), 'utf8');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Splits a raw request URL into path and query without decoding either. */
export function splitUrl(url: string): { path: string; query: string } {
  const q = url.indexOf('?');
  return q < 0 ? { path: url, query: '' } : { path: url.slice(0, q), query: url.slice(q + 1) };
}
