import { SetMetadata } from '@nestjs/common';
import type { RateLimitClass } from './rate-limit.types';

export const RATE_LIMIT_CLASS_KEY = 'fgw:rate-limit-class';

/**
 * Declares the method class a route counts against in the per-user quotas.
 * Routes without it count as `read` (GET/HEAD) or `write` (anything else).
 */
export const RateLimitClassOf = (cls: RateLimitClass): MethodDecorator & ClassDecorator =>
  SetMetadata(RATE_LIMIT_CLASS_KEY, cls);
