import { applyDecorators, type CanActivate, createParamDecorator, type ExecutionContext, SetMetadata, type Type } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';
import { ApiForbiddenResponse, ApiSecurity, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { type CallerRole, type Principal, requestContextOf } from './request-context';

const ROUTE_ACCESS = 'fgw:route-access';
const ROUTE_PRECONDITION = 'fgw:route-precondition';

/** Who may call a route: anyone (`public`), or a key of a role. */
export type RouteAccess = { public: true } | { public: false; role: CallerRole };

/**
 * Requires a key of `role` on every route of a controller (or one route). Metadata only: the
 * request pipeline's one global guard reads it (src/bootstrap/request-pipeline.guard.ts). A route
 * with neither this nor @Public() is refused at start-up, so nothing is public by accident.
 */
export function Authenticated(role: CallerRole): ClassDecorator & MethodDecorator {
  return applyDecorators(
    SetMetadata(ROUTE_ACCESS, { public: false, role } satisfies RouteAccess),
    ApiSecurity('api-key'),
    ApiSecurity('hmac-signature'),
    ApiUnauthorizedResponse({ description: 'authentication-failed problem (one generic message)' }),
    ApiForbiddenResponse({ description: 'forbidden problem: wrong role or address outside the key allowlist' }),
  );
}

/** Marks a route (or controller) as callable without a key: probes, scrapes, browser redirects. */
export const Public = (): ClassDecorator & MethodDecorator => SetMetadata(ROUTE_ACCESS, { public: true } satisfies RouteAccess);

/** The access a route declares (method over class), or undefined when it declares none. */
export function routeAccessOf(reflector: Reflector, context: ExecutionContext): RouteAccess | undefined {
  return reflector.getAllAndOverride<RouteAccess | undefined>(ROUTE_ACCESS, [context.getHandler(), context.getClass()]);
}

/**
 * A guard that decides whether the route exists at all (e.g. a feature switch), run by the pipeline
 * before authentication, so a switched-off route answers the same without a key as with one. The
 * guard must be a provider of the controller's module.
 */
export const RoutePrecondition = (guard: Type<CanActivate>): ClassDecorator & MethodDecorator => SetMetadata(ROUTE_PRECONDITION, guard);

/** The precondition a route declares, if any. */
export function routePreconditionOf(reflector: Reflector, context: ExecutionContext): Type<CanActivate> | undefined {
  return reflector.getAllAndOverride<Type<CanActivate> | undefined>(ROUTE_PRECONDITION, [context.getHandler(), context.getClass()]);
}

/** The authenticated caller (set by the pipeline's authentication step). */
export const CurrentPrincipal = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Principal => requestContextOf(context.switchToHttp().getRequest<FastifyRequest>()).principal as Principal,
);
