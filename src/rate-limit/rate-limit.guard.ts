import { type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { InjectThrottlerOptions, InjectThrottlerStorage, ThrottlerGuard, type ThrottlerModuleOptions, type ThrottlerStorage } from '@nestjs/throttler';
import type { ThrottlerRequest } from '@nestjs/throttler/dist/throttler.guard.interface';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RateLimitConfig } from './rate-limit.config';
import { REQUIRED_ROLE } from '../auth/client-auth.guard';
import { rateLimitClassOf } from './rate-limit.class';
import { RateLimitedProblem, RateLimiterUnavailableProblem } from './rate-limit.errors';
import { RateLimitMetrics } from './rate-limit.metrics';
import type { RateLimitPrincipal, RateLimitScope } from './rate-limit.types';

/** Routes that are never limited: probes, scrapes, API docs. */
const UNLIMITED = /^\/(health|metrics|docs)(\/|-json|$|\?)/;

type LimitedRequest = FastifyRequest & { principal?: RateLimitPrincipal; fgwRateLimitShown?: number };

/** The authenticated key on the request, if any (set by the auth guard, which runs first). */
export const principalOf = (req: FastifyRequest): RateLimitPrincipal | undefined => (req as LimitedRequest).principal;

/**
 * @nestjs/throttler's guard with our rules: per-class fail-open/closed when
 * Redis is unreachable, IETF `RateLimit-*` headers (of the tightest scope) and
 * 429 problem+json with `Retry-After`.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
    private readonly config: RateLimitConfig,
    private readonly metrics: RateLimitMetrics,
  ) {
    super(options, storage, reflector);
  }

  /**
   * The guard runs twice on authenticated routes: globally (before the route's
   * auth guard, so without a principal: skipped) and again right after
   * authentication (@Authenticated adds it), where key and user limits apply.
   */
  protected override async shouldSkip(context: ExecutionContext): Promise<boolean> {
    if (!this.config.RATE_LIMIT_ENABLED || context.getType() !== 'http') return true;
    const req = context.switchToHttp().getRequest<LimitedRequest>();
    if (UNLIMITED.test(req.url)) return true;
    const authenticatedRoute = this.reflector.getAllAndOverride<string | undefined>(REQUIRED_ROLE, [
      context.getHandler(),
      context.getClass(),
    ]);
    return authenticatedRoute !== undefined && req.principal === undefined;
  }

  protected override async handleRequest(props: ThrottlerRequest): Promise<boolean> {
    const { context, limit, ttl, throttler, getTracker, generateKey, blockDuration } = props;
    const req = context.switchToHttp().getRequest<LimitedRequest>();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const scope = throttler.name as RateLimitScope;
    const cls = rateLimitClassOf(context);
    const key = generateKey(context, await getTracker(req, context), scope);

    let record;
    try {
      record = await this.storageService.increment(key, ttl, limit, blockDuration, scope);
    } catch {
      const failOpen = this.config.RATE_LIMIT_FAIL_OPEN_CLASSES.includes(cls);
      this.metrics.storeUnavailable(cls, failOpen);
      if (failOpen) return true;
      throw new RateLimiterUnavailableProblem(cls);
    }

    const remaining = Math.max(0, limit - record.totalHits);
    const headers = {
      'ratelimit-limit': String(limit),
      'ratelimit-remaining': String(remaining),
      'ratelimit-reset': String(record.timeToExpire),
    };
    if (record.isBlocked) {
      this.metrics.limited(scope, cls);
      throw new RateLimitedProblem(scope, cls, limit, ttl, Math.max(1, record.timeToBlockExpire), headers);
    }
    // Several scopes may apply; the client sees the one closest to its limit.
    if (req.fgwRateLimitShown === undefined || remaining < req.fgwRateLimitShown) {
      req.fgwRateLimitShown = remaining;
      reply.headers(headers);
    }
    return true;
  }
}
