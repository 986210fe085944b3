import { ProblemException } from '../common/problem/problem.exception';
import type { RateLimitClass, RateLimitLabel, RateLimitScope } from './rate-limit.types';

/** 429: a limit was reached; Retry-After says when one request will be accepted again. */
export class RateLimitedProblem extends ProblemException {
  constructor(
    scope: RateLimitScope,
    cls: RateLimitLabel,
    limit: number,
    windowMs: number,
    retryAfterS: number,
    headers: Record<string, string>,
  ) {
    super(
      'rate-limited',
      'Too Many Requests',
      429,
      `The ${scope === 'user' ? `per-user ${cls}` : `per-${scope}`} limit of ${limit} requests per ${windowMs / 1000} s is reached; retry after ${retryAfterS} s.`,
      { scope, class: cls, limit, windowSeconds: windowMs / 1000 },
      { ...headers, 'retry-after': String(retryAfterS) },
    );
  }
}

/** 503: the limiter's store is unreachable and this class fails closed. */
export class RateLimiterUnavailableProblem extends ProblemException {
  constructor(cls: RateLimitClass) {
    super(
      'rate-limiter-unavailable',
      'Service Unavailable',
      503,
      `Rate limits for ${cls} requests cannot be checked right now; retry shortly.`,
      { class: cls },
      { 'retry-after': '5' },
    );
  }
}
