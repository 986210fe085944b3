import { ProblemException } from '../common/problem/problem.exception';

/** 400: the request token is unknown, expired (15 min by default), already used, or out of attempts. */
export class OAuthRequestInvalidProblem extends ProblemException {
  constructor() {
    super(
      'oauth-request-invalid',
      'OAuth Request Invalid',
      400,
      'This connection request is unknown, expired or already used; start again with POST /v1/oauth/start.',
    );
  }
}

/** 400: Flickr rejected the PIN (verifier); the user may type it again until the attempts run out. */
export class OAuthVerifierRejectedProblem extends ProblemException {
  constructor(attemptsLeft: number) {
    super('oauth-verifier-rejected', 'OAuth Verifier Rejected', 400, 'Flickr rejected this verifier (PIN).', { attemptsLeft });
  }
}

/** 400: mode `callback` was asked for while OAUTH_CALLBACK_ENABLED is off. */
export class OAuthCallbackDisabledProblem extends ProblemException {
  constructor() {
    super('oauth-callback-disabled', 'OAuth Callback Disabled', 400, 'Callback mode is not enabled on this gateway; use mode "oob".');
  }
}

