import { type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { AuthFailureLimiter } from '../rate-limit/auth-failure.limiter';
import { ApiKeyVerifier } from './api-key.verifier';
import { API_KEY_STRATEGY } from './api-key.strategy';
import { HMAC_HEADERS } from './hmac.signing';
import { AuthenticationFailedProblem, ForbiddenProblem, SignedMultipartUnsupportedProblem, VerificationFailed } from './auth.errors';
import { AuthMetrics } from './auth.metrics';
import { cidrList, listContains } from '../common/http/client-address';
import { ClientIpResolver } from './client-ip.resolver';
import { HmacVerifier, isSignedRequest } from './hmac.verifier';
import type { ApiKeyRole } from './api-key.schema';
import type { AuthenticatedRequestFields, Principal } from './principal';

export const REQUIRED_ROLE = 'fgw:auth:role';

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
 * Authenticates a request by HMAC signature (when signing headers are present)
 * or by X-API-Key through Passport, then applies the key's IP allowlist and the
 * route's role. Any authentication failure is the same 401; the reason is
 * only counted in `auth_failures_total`.
 */
@Injectable()
export class ClientAuthGuard extends AuthGuard(API_KEY_STRATEGY) {
  constructor(
    private readonly reflector: Reflector,
    private readonly hmac: HmacVerifier,
    private readonly metrics: AuthMetrics,
    private readonly ips: ClientIpResolver,
    private readonly failures: AuthFailureLimiter,
    private readonly keys: ApiKeyVerifier,
  ) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const role = this.reflector.getAllAndOverride<ApiKeyRole | undefined>(REQUIRED_ROLE, [
      context.getHandler(),
      context.getClass(),
    ]);
    const request = context.switchToHttp().getRequest<FastifyRequest & AuthenticatedRequestFields & { user?: Principal }>();
    const ip = this.ips.resolve(request);
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
      if (isSignedRequest(request)) principal = await this.hmac.verify(request);
      else {
        await this.keys.withIdentified(apiKey, async () => super.canActivate(context));
        principal = request.user as Principal;
      }
    } catch (err) {
      // Infrastructure errors (database down) are not authentication failures: let them surface as such.
      if (!(err instanceof VerificationFailed)) throw err;
      this.metrics.failed(err.reason);
      await this.failures.recordFailure(ip, keyId);
      throw new AuthenticationFailedProblem();
    }
    request.principal = principal;
    if (principal.ipAllowlist.length > 0 && !listContains(cidrList(principal.ipAllowlist), ip)) {
      throw new ForbiddenProblem('This key may not be used from this address.');
    }
    if (role && principal.role !== role) throw new ForbiddenProblem();
    return true;
  }

  /** Passport's outcome: a thrown VerificationFailed, or no user when the header is missing. */
  override handleRequest<T>(err: unknown, user: T): T {
    if (err) throw err;
    if (!user) throw new VerificationFailed('missing');
    return user;
  }
}
