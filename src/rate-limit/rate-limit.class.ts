import type { ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { RATE_LIMIT_CLASS_KEY, RATE_LIMIT_CLASS_RESOLVER_KEY, type RateLimitClassResolver } from './rate-limit.decorators';
import type { RateLimitClass } from './rate-limit.types';

import { memoizedReflector as reflector } from '../common/http/memoized.reflector';

/** The method class of a route: declared (@RateLimitClassOf / @RateLimitClassFrom), `admin` under /admin, else by HTTP method. */
export function rateLimitClassOf(context: ExecutionContext): RateLimitClass {
  const declared = reflector.getAllAndOverride<RateLimitClass | undefined>(RATE_LIMIT_CLASS_KEY, [
    context.getHandler(),
    context.getClass(),
  ]);
  if (declared) return declared;
  const req = context.switchToHttp().getRequest<FastifyRequest>();
  const resolver = reflector.getAllAndOverride<RateLimitClassResolver | undefined>(RATE_LIMIT_CLASS_RESOLVER_KEY, [
    context.getHandler(),
    context.getClass(),
  ]);
  if (resolver) return resolver(req);
  if (req.url.startsWith('/admin')) return 'admin';
  return req.method === 'GET' || req.method === 'HEAD' ? 'read' : 'write';
}
