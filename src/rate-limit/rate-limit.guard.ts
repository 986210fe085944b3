import { type ExecutionContext, Injectable } from '@nestjs/common';
import { InjectThrottlerOptions, InjectThrottlerStorage, ThrottlerGuard, type ThrottlerModuleOptions, type ThrottlerStorage } from '@nestjs/throttler';
import type { ThrottlerRequest } from '@nestjs/throttler/dist/throttler.guard.interface';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { memoizedReflector } from '../common/http/memoized.reflector';
import { type Principal, requestContextOf } from '../common/http/request-context';
import { RateLimitConfig } from './rate-limit.config';
import { rateLimitClassOf } from './rate-limit.class';
import { RateLimitedProblem, RateLimiterUnavailableProblem } from './rate-limit.errors';
import { RateLimitMetrics } from './rate-limit.metrics';
import { SlidingWindowStore, type WindowSpec } from './sliding-window.store';
import type { RateLimitScope } from './rate-limit.types';

/** Routes that are never limited: probes, scrapes, API docs. */
const UNLIMITED = /^\/(health|metrics|docs)(\/|-json|$|\?)/;

/** The authenticated key of the request, if any (the pipeline authenticates before it limits). */
export const principalOf = (req: FastifyRequest): Principal | undefined => requestContextOf(req).principal;

interface PendingWindow extends WindowSpec {
  scope: RateLimitScope;
}

const PENDING = Symbol('fgw.rateLimitWindows');
type CollectingRequest = FastifyRequest & { [PENDING]?: PendingWindow[] };

/**
 * @nestjs/throttler's guard with our rules, called once per request by the request pipeline (after
 * authentication, so key and user windows apply). The throttler decides which windows apply and
 * with which limits (its `throttlers`, `skipIf`, trackers, per-route overrides); instead of one
 * storage call per window, `handleRequest` only collects them and `canActivate` checks them all in
 * one Redis round trip (SlidingWindowStore.hitAll). Also: per-class fail-open/closed when Redis is
 * unreachable, IETF `RateLimit-*` headers of the tightest window, 429 problem+json with
 * `Retry-After`.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    private readonly config: RateLimitConfig,
    private readonly metrics: RateLimitMetrics,
    private readonly windows: SlidingWindowStore,
  ) {
    // The throttler reads six metadata keys per named limit on every request: memoized (route metadata is static).
    super(options, storage, memoizedReflector);
  }

  /** Whether a request to `url` is never limited (probes, scrapes, API docs): the pipeline need not call the guard. */
  static unlimited(url: string): boolean {
    return UNLIMITED.test(url);
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<CollectingRequest>();
    const pending: PendingWindow[] = [];
    req[PENDING] = pending;
    try {
      await super.canActivate(context);
    } finally {
      delete req[PENDING];
    }
    if (pending.length === 0) return true;

    const cls = rateLimitClassOf(context);
    let results;
    try {
      results = await this.windows.hitAll(pending);
    } catch {
      const failOpen = this.config.RATE_LIMIT_FAIL_OPEN_CLASSES.includes(cls);
      this.metrics.storeUnavailable(cls, failOpen);
      if (failOpen) return true;
      throw new RateLimiterUnavailableProblem(cls);
    }

    // The client sees the window closest to its limit; a refusal names the one that frees up last.
    let shown = 0;
    let refusing = -1;
    results.forEach((r, i) => {
      const remaining = (w: number) => pending[w]!.limit - results[w]!.count;
      if (remaining(i) < remaining(shown)) shown = i;
      if (!r.allowed && (refusing < 0 || r.retryAfterMs > results[refusing]!.retryAfterMs)) refusing = i;
    });
    const headerOf = (i: number) => ({
      'ratelimit-limit': String(pending[i]!.limit),
      'ratelimit-remaining': String(Math.max(0, pending[i]!.limit - results[i]!.count)),
      'ratelimit-reset': String(Math.ceil(results[i]!.resetMs / 1000)),
    });
    if (refusing >= 0) {
      const w = pending[refusing]!;
      this.metrics.limited(w.scope, cls);
      // Whole seconds, rounded up: a client that waits exactly this long is accepted.
      const retryAfter = Math.max(1, Math.ceil(results[refusing]!.retryAfterMs / 1000));
      throw new RateLimitedProblem(w.scope, cls, w.limit, w.windowMs, retryAfter, { ...headerOf(refusing), 'ratelimit-remaining': '0' });
    }
    context.switchToHttp().getResponse<FastifyReply>().headers(headerOf(shown));
    return true;
  }

  protected override async shouldSkip(context: ExecutionContext): Promise<boolean> {
    if (!this.config.RATE_LIMIT_ENABLED || context.getType() !== 'http') return true;
    return UNLIMITED.test(context.switchToHttp().getRequest<FastifyRequest>().url);
  }

  /** Collects one applicable window (the throttler resolved its limit, ttl and key); checked in canActivate. */
  protected override async handleRequest(props: ThrottlerRequest): Promise<boolean> {
    const { context, limit, ttl, throttler, getTracker, generateKey } = props;
    const req = context.switchToHttp().getRequest<CollectingRequest>();
    const key = generateKey(context, await getTracker(req, context), throttler.name ?? 'default');
    req[PENDING]!.push({ scope: throttler.name as RateLimitScope, key, limit, windowMs: ttl });
    return true;
  }
}
