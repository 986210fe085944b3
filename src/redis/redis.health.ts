import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { Redis } from 'ioredis';
import { AppConfig } from '../config/app.config';

/** Readiness of the shared Redis connection: a PING answered within the health timeout. */
@Injectable()
export class RedisHealthIndicator {
  constructor(
    private readonly redis: Redis,
    private readonly health: HealthIndicatorService,
    private readonly config: AppConfig,
  ) {}

  check() {
    return this.health
      .check('redis')
      .attempt(async () => {
        // While ioredis reconnects it would queue the PING; answer "down" at once instead.
        if (this.redis.status !== 'ready') throw new Error(`connection is ${this.redis.status}`);
        await this.redis.ping();
      })
      .withTimeout(this.config.HEALTH_CHECK_TIMEOUT_MS);
  }
}
