/**
 * Typed errors for every answer the gateway gives as RFC 9457 problem+json
 * (docs/errors.md lists the types). One class per thing a caller does
 * differently: wait and retry (RateLimitError), fix the credentials
 * (AuthenticationError), fix the request (ValidationError), give up on the id
 * (NotFoundError), resolve a state conflict (ConflictError), retry later
 * (UnavailableError). Each also carries `kind`, a string discriminant, for
 * callers who prefer a `switch` to `instanceof`.
 */

/** The prefix of every problem `type` this gateway answers. */
export const PROBLEM_TYPE_PREFIX = 'urn:flickr-gateway:problem:';

/** A problem+json body: the RFC 9457 members plus the type's own extensions. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  requestId?: string;
  /** validation-failed: one message per failed field. */
  errors?: string[];
  [extension: string]: unknown;
}

/** What a caller does about an error; see each class. */
export type GatewayErrorKind =
  | 'rate-limited'
  | 'authentication'
  | 'not-found'
  | 'validation'
  | 'conflict'
  | 'unavailable'
  | 'flickr-permission'
  | 'other';

/** Everything the SDK knows about a failed answer. */
export interface GatewayErrorInit {
  status: number;
  problem: Problem;
  requestId?: string;
  retryAfterSeconds?: number;
  method: string;
  url: string;
}

/**
 * An error answer of the gateway (any 4xx/5xx). `type` is the stable problem type
 * (`urn:flickr-gateway:problem:<code>`), `code` its last part (`rate-limited`), `problem`
 * the whole body including extensions (`errors`, `flickrCode`, `required_permission`…).
 */
export class GatewayError extends Error {
  readonly kind: GatewayErrorKind = 'other';
  readonly status: number;
  readonly type: string;
  /** The problem type without its `urn:flickr-gateway:problem:` prefix, e.g. `not-found`. */
  readonly code: string;
  readonly title: string;
  readonly detail: string | undefined;
  /** From the body's `requestId`, else the `X-Request-Id` header: quote it when reporting a problem. */
  readonly requestId: string | undefined;
  /** From `Retry-After` (delta-seconds or an HTTP date), in whole seconds from now; undefined when absent. */
  readonly retryAfterSeconds: number | undefined;
  readonly problem: Problem;
  readonly method: string;
  readonly url: string;

  constructor(init: GatewayErrorInit) {
    const { problem } = init;
    super(`${init.status} ${problem.title}${problem.detail ? `: ${problem.detail}` : ''} (${init.method} ${init.url}${init.requestId ? `, request ${init.requestId}` : ''})`);
    this.name = new.target.name;
    this.status = init.status;
    this.type = problem.type;
    this.code = problem.type.startsWith(PROBLEM_TYPE_PREFIX) ? problem.type.slice(PROBLEM_TYPE_PREFIX.length) : problem.type;
    this.title = problem.title;
    this.detail = problem.detail;
    this.requestId = init.requestId;
    this.retryAfterSeconds = init.retryAfterSeconds;
    this.problem = problem;
    this.method = init.method;
    this.url = init.url;
  }
}

/** 429: a rate limit, the upload queue cap or the Flickr fair share. Wait `retryAfterSeconds`, then retry. */
export class RateLimitError extends GatewayError {
  override readonly kind = 'rate-limited';
}

/**
 * 401 (the credential failed: missing, wrong, expired, revoked key; bad, stale or replayed signature) or
 * 403 `forbidden` (wrong key role, or an address outside the key's allowlist). Retrying will not help.
 */
export class AuthenticationError extends GatewayError {
  override readonly kind = 'authentication';
}

/** 404: unknown route or resource, also another client's (the gateway answers both alike). */
export class NotFoundError extends GatewayError {
  override readonly kind = 'not-found';
}

/** 400 or 422: the request is wrong (`errors` lists failed fields for validation-failed). */
export class ValidationError extends GatewayError {
  override readonly kind = 'validation';
  /** validation-failed: one message per failed field; empty otherwise. */
  get errors(): string[] {
    return Array.isArray(this.problem.errors) ? this.problem.errors.map(String) : [];
  }
}

/** 409: the resource's state forbids it (upload-not-cancellable, flickr-not-connected, idempotency-in-progress…). */
export class ConflictError extends GatewayError {
  override readonly kind = 'conflict';
}

/** 502, 503, 504: a dependency (Flickr, MongoDB, Redis, the KMS) failed or is busy. Retry after `retryAfterSeconds`. */
export class UnavailableError extends GatewayError {
  override readonly kind = 'unavailable';
}

/**
 * 403 `flickr-permission-required`: the user's Flickr connection granted less than the method needs
 * (`problem.required_permission`); connect the user again with those perms. Not an AuthenticationError:
 * the gateway credential is fine.
 */
export class FlickrPermissionError extends GatewayError {
  override readonly kind = 'flickr-permission';
}

/** The request never got an HTTP answer (connection refused or reset, DNS, timeout, abort). */
export class GatewayConnectionError extends Error {
  constructor(
    message: string,
    readonly method: string,
    readonly url: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'GatewayConnectionError';
  }
}

/**
 * `Retry-After` in whole seconds from `now`: delta-seconds as given, an HTTP date as the seconds until it
 * (0 when past). Undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value == null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text);
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - now) / 1000));
}

/** The class for a status and problem type. */
function errorClassFor(status: number, type: string): typeof GatewayError {
  const code = type.startsWith(PROBLEM_TYPE_PREFIX) ? type.slice(PROBLEM_TYPE_PREFIX.length) : type;
  if (status === 429) return RateLimitError;
  if (status === 401) return AuthenticationError;
  if (status === 403) return code === 'flickr-permission-required' ? FlickrPermissionError : code === 'forbidden' ? AuthenticationError : GatewayError;
  if (status === 404) return NotFoundError;
  if (status === 400 || status === 422) return ValidationError;
  if (status === 409) return ConflictError;
  if (status === 502 || status === 503 || status === 504) return UnavailableError;
  return GatewayError;
}

/**
 * The typed error for an error answer. `body` is the raw text; a body that is not problem+json (a proxy's
 * HTML page, an empty body) still gives an error, with `type` `about:blank` and the HTTP status as title.
 */
export function toGatewayError(args: {
  status: number;
  statusText?: string;
  headers: Headers;
  body: string;
  method: string;
  url: string;
}): GatewayError {
  let problem: Problem | undefined;
  try {
    const parsed = JSON.parse(args.body) as unknown;
    if (parsed && typeof parsed === 'object' && typeof (parsed as Problem).type === 'string') problem = parsed as Problem;
  } catch {
    // not JSON: fall through to a generic problem
  }
  problem ??= {
    type: 'about:blank',
    title: args.statusText || `HTTP ${args.status}`,
    status: args.status,
    detail: args.body ? args.body.slice(0, 500) : undefined,
  };
  problem.title ??= args.statusText || `HTTP ${args.status}`;
  const requestId = (typeof problem.requestId === 'string' ? problem.requestId : undefined) ?? args.headers.get('x-request-id') ?? undefined;
  const Class = errorClassFor(args.status, problem.type);
  return new Class({
    status: args.status,
    problem,
    requestId,
    retryAfterSeconds: parseRetryAfter(args.headers.get('retry-after')),
    method: args.method,
    url: args.url,
  });
}
