import { Injectable, Logger } from '@nestjs/common';
import { Redis, type RedisOptions } from 'ioredis';
import { RedisConfig } from './redis.config';

/**
 * The one place Redis connections are made, so every user (cache, limiter,
 * Bull, pub/sub) follows the same URL-or-Sentinel settings.
 */
@Injectable()
export class RedisConnectionFactory {
  private readonly logger = new Logger('Redis');

  constructor(private readonly config: RedisConfig) {}

  /** Options shared by every connection; `name` shows up in CLIENT LIST. */
  options(connectionName: string, overrides: RedisOptions = {}): RedisOptions {
    const common: RedisOptions = {
      connectionName: `fgw-${connectionName}`,
      password: this.config.REDIS_PASSWORD,
      // Reconnect forever with a capped delay: a Redis restart must not need an app restart.
      retryStrategy: (attempt) => Math.min(100 * attempt, 2000),
      ...overrides,
    };
    if (this.config.REDIS_SENTINELS.length > 0) {
      return {
        ...common,
        name: this.config.REDIS_SENTINEL_MASTER,
        sentinelPassword: this.config.REDIS_SENTINEL_PASSWORD,
        sentinels: this.config.REDIS_SENTINELS.map((hp) => {
          const [host, port] = hp.split(':');
          return { host, port: Number(port) };
        }),
      };
    }
    const url = new URL(this.config.REDIS_URL);
    return {
      ...common,
      host: url.hostname,
      port: Number(url.port || 6379),
      db: url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0,
      username: url.username || undefined,
      password: common.password ?? (url.password ? decodeURIComponent(url.password) : undefined),
      tls: url.protocol === 'rediss:' ? {} : undefined,
    };
  }

  /** A general-purpose client whose keys carry REDIS_KEY_PREFIX. */
  create(connectionName: string, overrides: RedisOptions = {}): Redis {
    const client = new Redis(this.options(connectionName, { keyPrefix: this.config.REDIS_KEY_PREFIX, ...overrides }));
    // Without an 'error' listener ioredis prints "Unhandled error event" on every reconnect attempt of an
    // outage or a Sentinel failover; log once when the connection fails and once when it is back instead.
    let failing = false;
    client.on('error', (err: Error) => {
      if (failing) return;
      failing = true;
      this.logger.warn(`${connectionName}: ${err.message}; reconnecting`);
    });
    client.on('ready', () => {
      if (!failing) return;
      failing = false;
      this.logger.log(`${connectionName}: connected again`);
    });
    return client;
  }
}
