import { Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ApiKeyVerifier } from './api-key.verifier';
import { AuthConfig } from './auth.config';
import { VerificationFailed } from './auth.errors';
import { HMAC_HEADERS, signatureMatches, splitUrl } from './hmac.signing';
import { NonceStore, nonceRetentionSeconds } from './nonce.store';
import type { Principal } from '../common/http/request-context';
import { rawBodyOf } from '../common/http/raw-body';

const NONCE_PATTERN = /^[A-Za-z0-9_-]{16,128}$/;
const KEY_ID_PATTERN = /^[a-z2-7]{12}$/;

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? undefined : value;
}

/** True when the request carries any header of the signing scheme (then it must be a valid signed request). */
export function isSignedRequest(request: FastifyRequest): boolean {
  return request.headers[HMAC_HEADERS.signature] !== undefined || request.headers[HMAC_HEADERS.keyId] !== undefined;
}

/**
 * Verifies an HMAC-signed request: timestamp within the skew, signature over
 * the raw bytes (constant-time), then the nonce claimed once, in that order so
 * that unsigned garbage cannot use up a client's nonces.
 */
@Injectable()
export class HmacVerifier {
  constructor(
    private readonly keys: ApiKeyVerifier,
    private readonly nonces: NonceStore,
    private readonly config: AuthConfig,
    private readonly now: () => number = Date.now,
  ) {}

  async verify(request: FastifyRequest): Promise<Principal> {
    const keyId = header(request, HMAC_HEADERS.keyId);
    const timestamp = header(request, HMAC_HEADERS.timestamp);
    const nonce = header(request, HMAC_HEADERS.nonce);
    const signature = header(request, HMAC_HEADERS.signature);
    if (!keyId || !timestamp || !nonce || !signature) throw new VerificationFailed('malformed');
    if (!KEY_ID_PATTERN.test(keyId) || !/^\d{1,12}$/.test(timestamp) || !NONCE_PATTERN.test(nonce)) {
      throw new VerificationFailed('malformed');
    }
    const skew = this.config.AUTH_HMAC_MAX_SKEW_SECONDS;
    if (Math.abs(Math.floor(this.now() / 1000) - Number(timestamp)) > skew) throw new VerificationFailed('clock-skew');
    const { principal, secrets } = await this.keys.signingSecretsFor(keyId);
    const { path, query } = splitUrl(request.raw.url ?? request.url);
    const parts = { method: request.method, path, query, timestamp, nonce, body: rawBodyOf(request) };
    // Every candidate is compared, so the time taken does not reveal which one matched.
    const matches = secrets.map((s) => signatureMatches(s, parts, signature));
    if (!matches.includes(true)) throw new VerificationFailed('bad-signature');
    // Remembered strictly longer than the timestamp stays acceptable (nonceRetentionSeconds).
    if (!(await this.nonces.claim(keyId, nonce, nonceRetentionSeconds(skew)))) throw new VerificationFailed('replayed-nonce');
    return principal;
  }
}
