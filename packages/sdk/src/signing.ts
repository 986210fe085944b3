import { createHash, createHmac, randomBytes } from 'node:crypto';

/**
 * HMAC-SHA256 request signing as docs/authentication.md ("HMAC request signing") specifies it:
 * seven lines joined by `\n`, signed with the key's signing secret (`fgws_…`).
 */
export const SIGNATURE_ALGORITHM = 'FGW1-HMAC-SHA256';

/** The four request headers of a signed request. */
export interface SignatureHeaders {
  'x-fgw-key-id': string;
  'x-fgw-timestamp': string;
  'x-fgw-nonce': string;
  'x-fgw-signature': string;
}

export interface SignInput {
  keyId: string;
  signingSecret: string;
  method: string;
  /** The path exactly as sent (percent-encoding untouched), without the query. */
  path: string;
  /** The query string exactly as sent, without `?` ('' when none). */
  query: string;
  /** The exact body bytes sent (empty when none). */
  body?: Uint8Array | string;
  /** Unix seconds; now when omitted. */
  timestamp?: number;
  /** 16-128 of A-Z a-z 0-9 _ -; 32 random hex characters when omitted. */
  nonce?: string;
}

/** `&`-separated parts, empty ones dropped, sorted by byte order, re-joined; never decoded or re-encoded. */
export function canonicalQuery(query: string): string {
  return query
    .split('&')
    .filter((part) => part.length > 0)
    .sort((a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')))
    .join('&');
}

/** The string to sign (no trailing newline). */
export function stringToSign(input: { method: string; path: string; query: string; timestamp: string; nonce: string; body?: Uint8Array | string }): string {
  return [
    SIGNATURE_ALGORITHM,
    input.method.toUpperCase(),
    input.path,
    canonicalQuery(input.query),
    input.timestamp,
    input.nonce,
    createHash('sha256').update(input.body ?? '').digest('hex'),
  ].join('\n');
}

/** The headers that sign one request; a fresh nonce and the current time unless given. */
export function signRequest(input: SignInput): SignatureHeaders {
  const timestamp = String(input.timestamp ?? Math.floor(Date.now() / 1000));
  const nonce = input.nonce ?? randomBytes(16).toString('hex');
  const signature = createHmac('sha256', input.signingSecret)
    .update(stringToSign({ method: input.method, path: input.path, query: input.query, timestamp, nonce, body: input.body }))
    .digest('hex');
  return { 'x-fgw-key-id': input.keyId, 'x-fgw-timestamp': timestamp, 'x-fgw-nonce': nonce, 'x-fgw-signature': signature };
}

/** The key id of an API key `fgw_<key_id>_<secret>` (the id is 12 of a-z 2-7); undefined if it is not one. */
export function keyIdOf(apiKey: string): string | undefined {
  return /^fgw_([a-z2-7]{12})_/.exec(apiKey)?.[1];
}
