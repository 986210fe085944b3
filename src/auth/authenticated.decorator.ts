import { applyDecorators, createParamDecorator, type ExecutionContext, SetMetadata, UseGuards } from '@nestjs/common';
import { ApiForbiddenResponse, ApiSecurity, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { ApiKeyRole } from './api-key.schema';
import { RateLimitGuard } from '../rate-limit/rate-limit.guard';
import { ClientAuthGuard, REQUIRED_ROLE } from './client-auth.guard';
import type { AuthenticatedRequestFields, Principal } from './principal';

/**
 * Requires a key of `role` on every route of a controller (or one route).
 * Guards are applied per controller rather than globally so that /health,
 * /metrics and /docs need no opt-out; every /v1 and /admin controller carries it.
 */
export function Authenticated(role: ApiKeyRole): ClassDecorator & MethodDecorator {
  return applyDecorators(
    SetMetadata(REQUIRED_ROLE, role),
    // Rate limits per key and user need the principal, so they are counted right after authentication.
    UseGuards(ClientAuthGuard, RateLimitGuard),
    ApiSecurity('api-key'),
    ApiSecurity('hmac-signature'),
    ApiUnauthorizedResponse({ description: 'authentication-failed problem (one generic message)' }),
    ApiForbiddenResponse({ description: 'forbidden problem: wrong role or address outside the key allowlist' }),
  );
}

/** The authenticated caller (set by ClientAuthGuard). */
export const CurrentPrincipal = createParamDecorator((_data: unknown, context: ExecutionContext): Principal => {
  const request = context.switchToHttp().getRequest<AuthenticatedRequestFields>();
  return request.principal as Principal;
});
