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

  /**
   * A request-path client whose keys carry REDIS_KEY_PREFIX. It fails fast, so a Redis outage is an answer
   * (503 or a documented fallback) and never a hang:
   * - every command gives up after REDIS_COMMAND_TIMEOUT_MS (a Redis that accepts but does not answer);
   * - no offline queue once the first connection is up: while reconnecting, a command fails at once instead of
   *   waiting in memory for Redis to come back (ioredis' default would hold it through 20 reconnect attempts);
   *   before that first connection, commands issued during start-up wait for it (bounded by the timeout);
   * - commands in flight when the connection drops fail at once (no per-request retries).
   * Bull's connections do not come from here (`options()`): Bull needs its blocking ones to wait forever.
   */
  create(connectionName: string, overrides: RedisOptions = {}): Redis {
    const client = new Redis(
      this.options(connectionName, {
        keyPrefix: this.config.REDIS_KEY_PREFIX,
        commandTimeout: this.config.REDIS_COMMAND_TIMEOUT_MS,
        maxRetriesPerRequest: 0,
        ...overrides,
        enableOfflineQueue: overrides.enableOfflineQueue ?? true,
      }),
    );
    if (overrides.enableOfflineQueue === undefined) {
      // ioredis reads this option on every command, so turning it off once connected takes effect at once.
      client.once('ready', () => (client.options.enableOfflineQueue = false));
    }
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
