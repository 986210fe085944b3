import { ProblemException } from '../common/problem/problem.exception';

/** What went wrong upstream, as the client adapter saw it (no business meaning yet). */
export class FlickrUpstreamError extends Error {
  constructor(
    readonly kind: 'http' | 'fail' | 'timeout' | 'network',
    message: string,
    readonly httpStatus?: number,
    readonly flickrCode?: number,
  ) {
    super(message);
    this.name = 'FlickrUpstreamError';
  }

  /** A failure worth retrying for an idempotent read. */
  get transient(): boolean {
    return this.kind === 'timeout' || this.kind === 'network' || (this.httpStatus ?? 0) >= 500 || this.flickrCode === 105;
  }
}

/** 503: our breaker is open or our shared budget is spent; nothing was sent to Flickr. */
export class FlickrUnavailableProblem extends ProblemException {
  constructor(reason: 'circuit-open' | 'budget-exhausted', retryAfterS: number) {
    super(
      reason === 'circuit-open' ? 'flickr-circuit-open' : 'flickr-budget-exhausted',
      'Flickr Unavailable',
      503,
      reason === 'circuit-open'
        ? 'Flickr is rate-limiting us; calls are paused to let it recover.'
        : 'The shared hourly budget of Flickr calls for this service is spent.',
      { retryAfterSeconds: retryAfterS },
      { 'retry-after': String(retryAfterS) },
    );
  }
}

/** 401: Flickr says the user's token is invalid or revoked (code 98); the user must connect again. */
export class FlickrReauthorizationRequiredProblem extends ProblemException {
  constructor() {
    // 409, not 401: a 401 means the gateway key failed, and client libraries would treat it as their own credentials failing.
    super('flickr-reauthorization-required', 'Flickr Re-authorization Required', 409, 'Flickr no longer accepts this user\'s token; connect the account again.', {
      flickrCode: 98,
      connection_state: 'reauthorization_required',
    });
  }
}

/** Flickr answered an error we pass on, with its code. */
export class FlickrErrorProblem extends ProblemException {
  constructor(
    status: number,
    flickrCode: number | undefined,
    httpStatus: number | undefined,
    message: string,
    headers: Record<string, string> = {},
  ) {
    super('flickr-error', 'Flickr Error', status, message, { flickrCode, upstreamStatus: httpStatus }, headers);
  }
}

/** 400: the method is not on the proxy's allowlist. */
export class UnknownFlickrMethodProblem extends ProblemException {
  constructor(method: string) {
    super('flickr-method-not-allowed', 'Flickr Method Not Allowed', 400, `'${method}' is not a Flickr method this gateway proxies.`, {
      method,
    });
  }
}
