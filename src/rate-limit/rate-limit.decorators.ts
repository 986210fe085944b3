import { SetMetadata } from '@nestjs/common';
import type { RateLimitClass } from './rate-limit.types';

export const RATE_LIMIT_CLASS_KEY = 'fgw:rate-limit-class';

/**
 * Declares the method class a route counts against in the per-user quotas.
 * Routes without it count as `read` (GET/HEAD) or `write` (anything else).
 */
export const RateLimitClassOf = (cls: RateLimitClass): MethodDecorator & ClassDecorator =>
  SetMetadata(RATE_LIMIT_CLASS_KEY, cls);

export const RATE_LIMIT_CLASS_RESOLVER_KEY = 'fgw:rate-limit-class-resolver';

/** Resolves a route's quota class from the request (e.g. the Flickr method named in the path). */
export type RateLimitClassResolver = (request: { params?: unknown }) => RateLimitClass;

/** Declares that a route's quota class depends on the request, for routes that proxy several kinds of call. */
export const RateLimitClassFrom = (resolver: RateLimitClassResolver): MethodDecorator & ClassDecorator =>
  SetMetadata(RATE_LIMIT_CLASS_RESOLVER_KEY, resolver);
