import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import passport from 'passport';
import type { Principal } from '../common/http/request-context';
import { HmacVerifier, isSignedRequest } from './hmac.verifier';

export const HMAC_STRATEGY = 'hmac-signature';

type Verify = (request: FastifyRequest, done: (err: unknown, principal?: Principal | false) => void) => void;

/**
 * A Passport strategy for signed requests. No published strategy verifies our signature scheme
 * (docs/authentication.md), so this one is small and by hand: a request without signing headers
 * is not this strategy's (`fail`, Passport tries the next: the API key); a signed one is verified.
 */
// What Passport gives a strategy instance while it runs (passport-strategy's base has no typings of its own).
const PassportBase = passport.Strategy as unknown as new () => {
  authenticate(request: unknown): void;
  success(user: unknown): void;
  fail(status?: number): void;
  error(err: unknown): void;
};

class SignedRequestStrategy extends PassportBase {
  constructor(private readonly verifySigned: Verify) {
    super();
  }

  override authenticate(request: unknown): void {
    const req = request as FastifyRequest;
    if (!isSignedRequest(req)) return this.fail(401);
    this.verifySigned(req, (err, principal) => (err ? this.error(err) : principal ? this.success(principal) : this.fail(401)));
  }
}

/** The HMAC signature strategy, beside the API-key strategy in the same Passport guard (ClientAuthenticator). */
@Injectable()
export class HmacStrategy extends PassportStrategy(SignedRequestStrategy, HMAC_STRATEGY) {
  constructor(private readonly hmac: HmacVerifier) {
    super();
  }

  validate(request: FastifyRequest): Promise<Principal> {
    return this.hmac.verify(request);
  }
}
