import { IsInt, IsOptional, IsString, Matches, Max, Min, MinLength } from 'class-validator';
import { ToInt, ToList } from '../config/env.transforms';
import type { ConfigSlice } from '../config/env.validation';

/** Redis for cache, limiter, queue and pub/sub: a plain URL or a Sentinel group. */
export class RedisConfig implements ConfigSlice {
  /** Used when REDIS_SENTINELS is empty. */
  @Matches(/^rediss?:\/\/\S+$/, { message: 'must be a redis:// or rediss:// URL' })
  REDIS_URL = 'redis://127.0.0.1:6380';

  /** Comma-separated host:port of Sentinels; when set, REDIS_URL is ignored. */
  @ToList()
  @Matches(/^[^\s:]+:\d{1,5}$/, { each: true, message: 'must be a list of host:port' })
  REDIS_SENTINELS: string[] = [];

  @IsString()
  @MinLength(1)
  REDIS_SENTINEL_MASTER = 'mymaster';

  @IsOptional()
  @IsString()
  REDIS_PASSWORD?: string;

  @IsOptional()
  @IsString()
  REDIS_SENTINEL_PASSWORD?: string;

  /** Prefix of every key we write, so several deployments (or test files) can share one Redis. */
  @Matches(/^[A-Za-z0-9:_-]*$/, { message: 'may only hold letters, digits, : _ -' })
  REDIS_KEY_PREFIX = 'fgw:';

  /**
   * Longest wait for one Redis command on the request-path connections (cache, limiter, nonces, locks, upload
   * lanes, pub/sub publish). Those connections also have no offline queue once connected: while Redis is
   * unreachable a command fails at once instead of queueing, so a request answers 503 (or its documented
   * fallback) without waiting; this timeout covers a Redis that accepts the connection but does not answer.
   */
  @ToInt()
  @IsInt()
  @Min(10)
  @Max(60_000)
  REDIS_COMMAND_TIMEOUT_MS = 1000;

  /**
   * Replicas that must hold a durable write (an accepted upload) before the client is answered, checked
   * with Redis WAIT; 0 turns the check off (a single Redis, local runs). With Sentinel, 1 means a
   * failover cannot lose a job that was answered 202.
   */
  @ToInt()
  @IsInt()
  @Min(0)
  @Max(10)
  REDIS_WAIT_REPLICAS = 0;

  /** How long WAIT may block for REDIS_WAIT_REPLICAS acknowledgements; past it the write is refused (503). */
  @ToInt()
  @IsInt()
  @Min(1)
  REDIS_WAIT_TIMEOUT_MS = 500;

  productionProblems(raw: Record<string, unknown>): string[] {
    return raw.REDIS_URL || raw.REDIS_SENTINELS ? [] : ['REDIS_URL: must be set in production (or REDIS_SENTINELS)'];
  }
}
