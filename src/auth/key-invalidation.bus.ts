import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Redis } from 'ioredis';
import { RedisConfig } from '../redis/redis.config';
import { RedisConnectionFactory } from '../redis/redis.factory';
import { closeRedis } from '../redis/redis.close';

/**
 * Redis pub/sub adapter carrying "key X changed" between replicas. Channel names
 * are not covered by ioredis' keyPrefix, so the prefix is added here: deployments
 * (and test files) sharing a Redis do not hear each other.
 *
 * Both connections come from the factory's fail-fast clients: a publish that
 * Redis cannot take fails within REDIS_COMMAND_TIMEOUT_MS (at once while the
 * connection is down) instead of waiting in an offline queue, so a revocation
 * or rotation never hangs on it.
 */
@Injectable()
export class KeyInvalidationBus implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(KeyInvalidationBus.name);
  private subscriber?: Redis;
  private publisher?: Redis;
  private subscribed = false;
  private subscribing?: Promise<void>;
  private readonly listeners: Array<(keyId: string) => void> = [];
  private readonly channel: string;

  constructor(
    private readonly factory: RedisConnectionFactory,
    config: RedisConfig,
  ) {
    this.channel = `${config.REDIS_KEY_PREFIX}auth:key-changed`;
  }

  async onModuleInit(): Promise<void> {
    this.subscriber = this.factory.create('auth-invalidation', { keyPrefix: '' });
    this.subscriber.on('message', (channel: string, keyId: string) => {
      if (channel === this.channel) this.deliver(keyId);
    });
    // Connection errors are logged by the factory, once per outage (not on every reconnect attempt).
    // A Redis that is down at start-up must not stop the process: subscribe when it comes (ioredis
    // re-subscribes by itself after later reconnections, once a subscription has succeeded).
    this.subscriber.on('ready', () => void this.subscribe());
    await this.subscribe();
    // Unprefixed publisher, so the channel name is exactly the one subscribed to.
    this.publisher = this.factory.create('auth-invalidation-pub', { keyPrefix: '' });
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.subscriber) await closeRedis(this.subscriber);
    if (this.publisher) await closeRedis(this.publisher);
  }

  onChange(listener: (keyId: string) => void): void {
    this.listeners.push(listener);
  }

  /**
   * Tells every replica (this one included) to forget what it cached about a key. Bounded: rejects within
   * REDIS_COMMAND_TIMEOUT_MS when Redis cannot take the message (at once while the connection is down);
   * the caller decides whether to retry.
   */
  async publish(keyId: string): Promise<void> {
    if (!this.publisher) throw new Error('key invalidation bus is not started');
    await this.publisher.publish(this.channel, keyId);
  }

  private deliver(keyId: string): void {
    for (const listener of this.listeners) listener(keyId);
  }

  private subscribe(): Promise<void> {
    if (this.subscribed || !this.subscriber) return Promise.resolve();
    this.subscribing ??= this.subscriber
      .subscribe(this.channel)
      .then(() => void (this.subscribed = true))
      .catch((err: Error) => this.logger.warn(`invalidation subscriber: cannot subscribe yet (${err.message}); retrying when Redis is back`))
      .finally(() => (this.subscribing = undefined));
    return this.subscribing;
  }
}
