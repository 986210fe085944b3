import { ProblemException } from '../common/problem/problem.exception';

/** Every authentication failure looks the same to the caller; the reason goes to a metric only. */
export class AuthenticationFailedProblem extends ProblemException {
  constructor() {
    super('authentication-failed', 'Unauthorized', 401, 'Authentication failed.', {}, {
      'www-authenticate': 'ApiKey header="X-API-Key"',
    });
  }
}

/** Authenticated, but this key may not use this route (role) or not from this address (allowlist). */
export class ForbiddenProblem extends ProblemException {
  constructor(detail = 'This key may not perform this request.') {
    super('forbidden', 'Forbidden', 403, detail);
  }
}

/** Why a verification failed; a metric label, never sent to the caller. */
export type AuthFailureReason =
  | 'missing'
  | 'malformed'
  | 'unknown-key'
  | 'wrong-secret'
  | 'expired'
  | 'revoked'
  | 'bad-signature'
  | 'clock-skew'
  | 'replayed-nonce';

/** Thrown inside the auth module; the guard turns it into AuthenticationFailedProblem after counting it. */
export class VerificationFailed extends Error {
  constructor(readonly reason: AuthFailureReason) {
    super(`verification failed: ${reason}`);
  }
}

/**
 * 400: an HMAC-signed multipart (upload) request. The signature covers the
 * body, which an upload streams to storage and could only verify at its end,
 * after the file was staged; uploads authenticate with X-API-Key instead.
 * Refused at once, before the body is read, and not counted as a failed
 * authentication.
 */
export class SignedMultipartUnsupportedProblem extends ProblemException {
  constructor() {
    super(
      'signed-multipart-unsupported',
      'Signed Uploads Not Supported',
      400,
      'Multipart (upload) requests cannot be HMAC-signed: send them with the X-API-Key header instead.',
    );
  }
}
