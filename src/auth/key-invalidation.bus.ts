import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Redis } from 'ioredis';
import { RedisConfig } from '../redis/redis.config';
import { RedisConnectionFactory } from '../redis/redis.factory';

/**
 * Redis pub/sub adapter carrying "key X changed" between replicas. Channel names
 * are not covered by ioredis' keyPrefix, so the prefix is added here: deployments
 * (and test files) sharing a Redis do not hear each other.
 */
@Injectable()
export class KeyInvalidationBus implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(KeyInvalidationBus.name);
  private subscriber?: Redis;
  private publisher?: Redis;
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
      if (channel === this.channel) for (const listener of this.listeners) listener(keyId);
    });
    this.subscriber.on('error', (err: Error) => this.logger.warn(`invalidation subscriber: ${err.message}`));
    await this.subscriber.subscribe(this.channel);
    // Unprefixed publisher, so the channel name is exactly the one subscribed to.
    this.publisher = this.factory.create('auth-invalidation-pub', { keyPrefix: '' });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.subscriber?.quit().catch(() => this.subscriber?.disconnect());
    await this.publisher?.quit().catch(() => this.publisher?.disconnect());
  }

  onChange(listener: (keyId: string) => void): void {
    this.listeners.push(listener);
  }

  /** Tells every replica (this one included) to forget what it cached about a key. */
  async publish(keyId: string): Promise<void> {
    await this.publisher?.publish(this.channel, keyId);
  }
}
