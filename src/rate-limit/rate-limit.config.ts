import { IsBoolean, IsIn, IsInt, Min } from 'class-validator';
import { ToBool, ToInt, ToList } from '../config/env.transforms';
import type { ConfigSlice } from '../config/env.validation';
import { RATE_LIMIT_CLASSES, type RateLimitClass } from './rate-limit.types';

/** Limits per API key, per user_id and method class, and per source IP; all sliding windows in Redis. */
export class RateLimitConfig implements ConfigSlice {
  @ToBool()
  @IsBoolean()
  RATE_LIMIT_ENABLED = true;

  @ToInt()
  @IsInt()
  @Min(1)
  RATE_LIMIT_KEY_LIMIT = 1000;

  @ToInt()
  @IsInt()
  @Min(100)
  RATE_LIMIT_KEY_WINDOW_MS = 60_000;

  @ToInt()
  @IsInt()
  @Min(1)
  RATE_LIMIT_USER_READ_LIMIT = 3500;

  @ToInt()
  @IsInt()
  @Min(1)
  RATE_LIMIT_USER_WRITE_LIMIT = 3500;

  @ToInt()
  @IsInt()
  @Min(1)
  RATE_LIMIT_USER_UPLOAD_LIMIT = 3500;

  @ToInt()
  @IsInt()
  @Min(100)
  RATE_LIMIT_USER_WINDOW_MS = 3_600_000;

  @ToInt()
  @IsInt()
  @Min(1)
  RATE_LIMIT_IP_LIMIT = 300;

  @ToInt()
  @IsInt()
  @Min(100)
  RATE_LIMIT_IP_WINDOW_MS = 60_000;

  /** Failed authentications per source IP per window before that IP is refused outright. */
  @ToInt()
  @IsInt()
  @Min(1)
  RATE_LIMIT_AUTH_FAILURES_LIMIT = 20;

  @ToInt()
  @IsInt()
  @Min(100)
  RATE_LIMIT_AUTH_FAILURES_WINDOW_MS = 300_000;

  /** Classes that keep serving (and count a metric) when Redis is unreachable; the others answer 503. */
  @ToList()
  @IsIn([...RATE_LIMIT_CLASSES], { each: true })
  RATE_LIMIT_FAIL_OPEN_CLASSES: RateLimitClass[] = ['read'];

  productionProblems(): string[] {
    return this.RATE_LIMIT_ENABLED ? [] : ['RATE_LIMIT_ENABLED: rate limits cannot be turned off in production'];
  }

  /** The per-user quota of a method class (admin routes count as writes). */
  userLimit(cls: RateLimitClass): number {
    if (cls === 'upload') return this.RATE_LIMIT_USER_UPLOAD_LIMIT;
    if (cls === 'read') return this.RATE_LIMIT_USER_READ_LIMIT;
    return this.RATE_LIMIT_USER_WRITE_LIMIT;
  }
}
