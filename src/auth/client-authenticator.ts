import type { BlockList } from 'node:net';
import { Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Passport, type Strategy } from 'passport';
import { cidrList, listContains } from '../common/http/client-address';
import { type CallerRole, type Principal, requestContextOf } from '../common/http/request-context';
import { AuthFailureLimiter } from '../rate-limit/auth-failure.limiter';
import { API_KEY_STRATEGY, ApiKeyStrategy } from './api-key.strategy';
import { ApiKeyVerifier } from './api-key.verifier';
import { AuthenticationFailedProblem, ForbiddenProblem, SignedMultipartUnsupportedProblem, VerificationFailed } from './auth.errors';
import { AuthMetrics } from './auth.metrics';
import { HMAC_HEADERS } from './hmac.signing';
import { HMAC_STRATEGY, HmacStrategy } from './hmac.strategy';
import { isSignedRequest } from './hmac.verifier';

/** The credential a request presents, without checking it. */
function presentedCredential(request: FastifyRequest): { apiKey?: string; hmacKeyId?: string } {
  if (isSignedRequest(request)) {
    const keyId = request.headers[HMAC_HEADERS.keyId];
    return typeof keyId === 'string' && /^[a-z2-7]{12}$/.test(keyId) ? { hmacKeyId: keyId } : {};
  }
  const apiKey = request.headers['x-api-key'];
  return typeof apiKey === 'string' ? { apiKey } : {};
}

/**
 * The authentication step of the request pipeline, and the only authentication code: Nest routes
 * (through the pipeline guard) and non-Nest routes such as Bull Board call {@link authenticate}.
 *
 * Passport with two strategies, tried in order: the HMAC signature (when signing headers are present)
 * and `X-API-Key` (passport-headerapikey). Around it: brute-force protection, the key's IP allowlist
 * and the route's role. Any authentication failure is the same 401; the reason is only counted in
 * `auth_failures_total`.
 *
 * A Passport instance of its own rather than the process-wide one @nestjs/passport's AuthGuard uses:
 * strategies register there by name, so a second app in the same process (tests run several) would
 * replace this app's strategies with its own, bound to its own (later closed) database connection.
 */
@Injectable()
export class ClientAuthenticator {
  private readonly passport = new Passport();
  private readonly allowlists = new WeakMap<readonly string[], BlockList>();

  constructor(
    private readonly metrics: AuthMetrics,
    private readonly failures: AuthFailureLimiter,
    private readonly keys: ApiKeyVerifier,
    hmacStrategy: HmacStrategy,
    apiKeyStrategy: ApiKeyStrategy,
  ) {
    this.passport.use(HMAC_STRATEGY, hmacStrategy as unknown as Strategy);
    this.passport.use(API_KEY_STRATEGY, apiKeyStrategy as unknown as Strategy);
  }

  /** Authenticates the request as a key of `role`, or throws the problem to answer with. */
  async authenticate(request: FastifyRequest, reply: FastifyReply, role: CallerRole): Promise<Principal> {
    const ip = requestContextOf(request).clientIp;
    if (isSignedRequest(request) && (request.headers['content-type'] ?? '').toLowerCase().startsWith('multipart/')) {
      throw new SignedMultipartUnsupportedProblem();
    }
    const credential = presentedCredential(request);
    // Parsed and hashed once: the same identification serves the check below and Passport's verification.
    const apiKey = credential.apiKey !== undefined ? this.keys.identify(credential.apiKey) : undefined;
    const keyId = credential.hmacKeyId ?? apiKey?.keyId;
    // Brute-force protection: an address (or key id) that failed too often is refused before any bcrypt runs,
    // unless this very credential was verified recently, so strangers sharing a NAT cannot lock a client out.
    if (!this.keys.recentlyVerified({ apiKey, hmacKeyId: credential.hmacKeyId })) await this.failures.assertAllowed(ip, keyId);
    let principal: Principal;
    try {
      principal = await this.keys.withIdentified(apiKey, () => this.verify(request, reply));
    } catch (err) {
      // Infrastructure errors (database down) are not authentication failures: let them surface as such.
      if (!(err instanceof VerificationFailed)) throw err;
      this.metrics.failed(err.reason);
      await this.failures.recordFailure(ip, keyId);
      throw new AuthenticationFailedProblem();
    }
    if (principal.ipAllowlist.length > 0 && !listContains(this.allowlistOf(principal), ip)) {
      throw new ForbiddenProblem('This key may not be used from this address.');
    }
    if (principal.role !== role) throw new ForbiddenProblem();
    return principal;
  }

  /**
   * The key's allowlist as a BlockList, parsed once per verified principal: the verifier serves the same
   * principal object from its cache, so the list is not re-parsed on every request.
   */
  private allowlistOf(principal: Principal): BlockList {
    let list = this.allowlists.get(principal.ipAllowlist);
    if (!list) {
      list = cidrList(principal.ipAllowlist);
      this.allowlists.set(principal.ipAllowlist, list);
    }
    return list;
  }

  /**
   * Runs the strategy the request's headers call for (a signed request is the HMAC strategy's to decide, any other
   * the API key's: the same outcome as offering Passport both, HMAC first, without a failed HMAC attempt on every
   * key-authenticated request, ≈ 4 % of a cached read's CPU in issue 15's profile); a thrown VerificationFailed, or
   * 'missing' when it found no credential.
   */
  private verify(request: FastifyRequest, reply: FastifyReply): Promise<Principal> {
    const strategy = isSignedRequest(request) ? HMAC_STRATEGY : API_KEY_STRATEGY;
    return new Promise((resolve, reject) => {
      const middleware = this.passport.authenticate(strategy, { session: false }, (err: unknown, user: Principal | false) => {
        if (err) reject(err);
        else if (!user) reject(new VerificationFailed('missing'));
        else resolve(user);
      }) as (req: unknown, res: unknown, next: (err?: unknown) => void) => void;
      middleware(request, reply, (err?: unknown) => reject(err ?? new VerificationFailed('missing')));
    });
  }
}
