import { randomBytes } from 'node:crypto';
import { HMAC_HEADERS, sign, splitUrl } from '../../../src/auth/hmac.signing';

export interface SignOptions {
  keyId: string;
  signingSecret: string;
  method: string;
  /** Path and query as they will be sent. */
  url: string;
  body?: string;
  timestamp?: number;
  nonce?: string;
}

/** The four signing headers for a request, computed with the server's own signing function. */
export function signedHeaders(o: SignOptions): Record<string, string> {
  const timestamp = String(o.timestamp ?? Math.floor(Date.now() / 1000));
  const nonce = o.nonce ?? randomBytes(16).toString('hex');
  const { path, query } = splitUrl(o.url);
  const signature = sign(o.signingSecret, { method: o.method, path, query, timestamp, nonce, body: Buffer.from(o.body ?? '') });
  return {
    [HMAC_HEADERS.keyId]: o.keyId,
    [HMAC_HEADERS.timestamp]: timestamp,
    [HMAC_HEADERS.nonce]: nonce,
    [HMAC_HEADERS.signature]: signature,
  };
}
