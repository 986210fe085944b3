import { type ExecutionContext, Injectable } from '@nestjs/common';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { AuthGuard } from '@nestjs/passport';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { cidrList, listContains } from '../common/http/client-address';
import { type CallerRole, type Principal, requestContextOf } from '../common/http/request-context';
import { AuthFailureLimiter } from '../rate-limit/auth-failure.limiter';
import { API_KEY_STRATEGY } from './api-key.strategy';
import { ApiKeyVerifier } from './api-key.verifier';
import { AuthenticationFailedProblem, ForbiddenProblem, SignedMultipartUnsupportedProblem, VerificationFailed } from './auth.errors';
import { AuthMetrics } from './auth.metrics';
import { HMAC_HEADERS } from './hmac.signing';
import { HMAC_STRATEGY } from './hmac.strategy';
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
 * One Passport guard with two strategies, tried in order: the HMAC signature (when signing headers
 * are present) and `X-API-Key` (passport-headerapikey). Around it: brute-force protection, the
 * key's IP allowlist and the route's role. Any authentication failure is the same 401; the reason
 * is only counted in `auth_failures_total`.
 */
@Injectable()
export class ClientAuthenticator extends AuthGuard([HMAC_STRATEGY, API_KEY_STRATEGY]) {
  constructor(
    private readonly metrics: AuthMetrics,
    private readonly failures: AuthFailureLimiter,
    private readonly keys: ApiKeyVerifier,
  ) {
    super();
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
      const context = new ExecutionContextHost([request, reply]);
      await this.keys.withIdentified(apiKey, async () => super.canActivate(context));
      principal = (request as FastifyRequest & { user?: Principal }).user as Principal;
    } catch (err) {
      // Infrastructure errors (database down) are not authentication failures: let them surface as such.
      if (!(err instanceof VerificationFailed)) throw err;
      this.metrics.failed(err.reason);
      await this.failures.recordFailure(ip, keyId);
      throw new AuthenticationFailedProblem();
    }
    if (principal.ipAllowlist.length > 0 && !listContains(cidrList(principal.ipAllowlist), ip)) {
      throw new ForbiddenProblem('This key may not be used from this address.');
    }
    if (principal.role !== role) throw new ForbiddenProblem();
    return principal;
  }

  /** Not a guard of its own: the pipeline guard calls {@link authenticate}. */
  override canActivate(_context: ExecutionContext): never {
    throw new Error('ClientAuthenticator is called through authenticate(), not as a guard');
  }

  /** Passport's outcome: a thrown VerificationFailed, or no user when no strategy found a credential. */
  override handleRequest<T>(err: unknown, user: T): T {
    if (err) throw err;
    if (!user) throw new VerificationFailed('missing');
    return user;
  }
}
