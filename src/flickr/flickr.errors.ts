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

// The connection's state belongs to users; Flickr code 98 is translated into it (flickr-api.service.ts).
export { FlickrReauthorizationRequiredProblem } from '../users/user-connection.errors';

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

/** Where clients discover the proxiable methods, their parameters and permissions. */
export const FLICKR_CATALOGUE_ROUTE = '/v1/flickr/methods';

/** 400: no Flickr REST method of that name (not in the catalogue generated from flickr-sdk). */
export class UnknownFlickrMethodProblem extends ProblemException {
  constructor(method: string) {
    super('unknown-flickr-method', 'Unknown Flickr Method', 400, `'${method}' is not a Flickr REST method this gateway proxies; ${FLICKR_CATALOGUE_ROUTE} lists them.`, {
      method,
      catalogue: FLICKR_CATALOGUE_ROUTE,
    });
  }
}

/** 400: a Flickr method the gateway owns itself (OAuth, upload, credential-revealing) and never proxies. */
export class FlickrMethodGatewayOwnedProblem extends ProblemException {
  constructor(method: string, reason: string) {
    super('flickr-method-gateway-owned', 'Flickr Method Owned by the Gateway', 400, `'${method}' is not proxied: ${reason}`, { method, reason });
  }
}

/** 400: required parameters of the method are missing, or parameters it does not take were sent. */
export class FlickrParametersProblem extends ProblemException {
  constructor(method: string, missing: string[], unknown: string[]) {
    const parts = [
      ...(missing.length ? [`missing required parameter(s) ${missing.join(', ')}`] : []),
      ...(unknown.length ? [`unknown parameter(s) ${unknown.join(', ')}`] : []),
    ];
    super('invalid-flickr-parameters', 'Invalid Flickr Parameters', 400, `${method}: ${parts.join('; ')} (${FLICKR_CATALOGUE_ROUTE} lists each method's parameters).`, {
      method,
      missing,
      unknown,
    });
  }
}

/**
 * 403: the user's connection was granted less than the method needs. Nothing
 * was sent to Flickr; the user must connect again with the named permission.
 */
export class FlickrPermissionRequiredProblem extends ProblemException {
  constructor(method: string, userId: string, required: 'read' | 'write' | 'delete', granted: string) {
    super(
      'flickr-permission-required',
      'Flickr Permission Required',
      403,
      `${method} needs the '${required}' permission; this user's Flickr connection granted '${granted}'. Connect the account again with POST /v1/oauth/start and "perms": "${required}".`,
      {
        method,
        required_permission: required,
        granted_permission: granted,
        reconnect: { method: 'POST', path: '/v1/oauth/start', body: { user_id: userId, perms: required } },
      },
    );
  }
}
