import { type CanActivate, type ExecutionContext, Injectable, Logger } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ClientAuthenticator } from '../auth/client-authenticator';
import { ContentTypeGuard } from '../common/http/content-type.guard';
import { memoizedReflector } from '../common/http/memoized.reflector';
import { requestContextOf } from '../common/http/request-context';
import { type RouteAccess, routeAccessOf, routePreconditionOf } from '../common/http/route-access';
import { RateLimitGuard } from '../rate-limit/rate-limit.guard';

/** The client part of users named on public routes: not a valid client id, so never any client's. */
const PUBLIC_CLIENT = '~public';

/** What a route that declares nothing gets: the strictest access, so nothing is public by accident. */
const UNDECLARED: RouteAccess = { public: false, role: 'admin' };

/**
 * The request pipeline's Nest half, the one global guard, driven by route metadata
 * (@Authenticated(role) / @Public(), src/common/http/route-access.ts). In order:
 *
 *   route precondition (e.g. a feature switch) → content type → authenticate (ClientAuthenticator) → scope the user → rate-limit (RateLimitGuard)
 *
 * Each step writes what it learns to the request context (src/common/http/request-context.ts),
 * which the handler, the request log, metrics and logging read. A route that declares neither
 * decorator is treated as admin-only and reported once in the log.
 */
@Injectable()
export class RequestPipelineGuard implements CanActivate {
  private readonly logger = new Logger('RequestPipeline');
  private readonly reported = new Set<string>();
  private readonly contentType: ContentTypeGuard;

  /** Route metadata is static: read once per route (see MemoizedReflector). */
  private readonly reflector = memoizedReflector;

  constructor(
    private readonly authenticator: ClientAuthenticator,
    private readonly rateLimits: RateLimitGuard,
    private readonly modules: ModuleRef,
  ) {
    this.contentType = new ContentTypeGuard(this.reflector);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const precondition = routePreconditionOf(this.reflector, context);
    if (precondition) await this.modules.get(precondition, { strict: false }).canActivate(context);
    this.contentType.canActivate(context);
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const access = routeAccessOf(this.reflector, context) ?? this.undeclared(request);
    const requestContext = requestContextOf(request);
    if (!access.public) {
      requestContext.principal = await this.authenticator.authenticate(request, http.getResponse<FastifyReply>(), access.role);
    }
    // Scope the user: a `:user_id` always names a user of the caller's own client. (No public route takes
    // one today; should one appear, its users share nothing with any client's.)
    const userId = (request.params as Record<string, unknown> | undefined)?.user_id;
    if (typeof userId === 'string') requestContext.user = { clientId: requestContext.principal?.clientId ?? PUBLIC_CLIENT, userId };
    // Probes and scrapes are never limited: skip the throttler's per-window metadata lookups entirely.
    if (!RateLimitGuard.unlimited(request.url)) await this.rateLimits.canActivate(context);
    return true;
  }

  private undeclared(request: FastifyRequest): RouteAccess {
    const route = `${request.method} ${request.routeOptions.url}`;
    if (!this.reported.has(route)) {
      this.reported.add(route);
      this.logger.error(`route ${route} declares neither @Authenticated nor @Public; treated as admin-only`);
    }
    return UNDECLARED;
  }
}
