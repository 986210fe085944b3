import { Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { RedisConfig } from './redis.config';
import type { RedisConnectionFactory } from './redis.factory';
import { closeRedis } from './redis.close';

/**
 * Redis pub/sub carrying "X changed, forget what you cached about it" between replicas. Each
 * feature with an in-process cache extends it with its own channel (auth: keys; users:
 * connections). Channel names are not covered by ioredis' keyPrefix, so the prefix is added here:
 * deployments (and test files) sharing a Redis do not hear each other.
 *
 * Both connections come from the factory's fail-fast clients: a publish that Redis cannot take
 * fails within REDIS_COMMAND_TIMEOUT_MS (at once while the connection is down) instead of waiting
 * in an offline queue, so a change never hangs on it. Listeners are also told when the subscriber
 * (re)connects (`onResubscribed`): messages sent while it was away are lost, so caches should drop
 * everything then.
 */
export abstract class InvalidationChannel implements OnModuleInit, OnApplicationShutdown {
  private readonly logger: Logger;
  private subscriber?: Redis;
  private publisher?: Redis;
  private subscribed = false;
  private subscribing?: Promise<void>;
  private readonly listeners: Array<(id: string) => void> = [];
  private readonly resubscribedListeners: Array<() => void> = [];
  private readonly channel: string;

  protected constructor(
    private readonly factory: RedisConnectionFactory,
    config: RedisConfig,
    channel: string,
    private readonly connectionName: string,
  ) {
    this.channel = `${config.REDIS_KEY_PREFIX}${channel}`;
    this.logger = new Logger(connectionName);
  }

  async onModuleInit(): Promise<void> {
    // The subscriber keeps its offline queue: on reconnecting, ioredis re-sends SUBSCRIBE from its 'ready' handler
    // itself, and without a queue that command is refused ("Stream isn't writeable") as an unhandled rejection.
    // Only SUBSCRIBE ever waits there; request-path commands go through fail-fast connections.
    this.subscriber = this.factory.create(this.connectionName, { keyPrefix: '', enableOfflineQueue: true });
    this.subscriber.on('message', (channel: string, id: string) => {
      if (channel === this.channel) for (const listener of this.listeners) listener(id);
    });
    // Connection errors are logged by the factory, once per outage (not on every reconnect attempt).
    // A Redis that is down at start-up must not stop the process: subscribe when it comes (ioredis
    // re-subscribes by itself after later reconnections, once a subscription has succeeded).
    this.subscriber.on('ready', () => {
      for (const listener of this.resubscribedListeners) listener();
      void this.subscribe();
    });
    await this.subscribe();
    // Unprefixed publisher, so the channel name is exactly the one subscribed to.
    this.publisher = this.factory.create(`${this.connectionName}-pub`, { keyPrefix: '' });
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.subscriber) await closeRedis(this.subscriber);
    if (this.publisher) await closeRedis(this.publisher);
  }

  /** Calls `listener` with the id of every change announced by any replica (this one included). */
  onChange(listener: (id: string) => void): void {
    this.listeners.push(listener);
  }

  /** Calls `listener` whenever the subscriber connects again (announcements may have been missed meanwhile). */
  onResubscribed(listener: () => void): void {
    this.resubscribedListeners.push(listener);
  }

  /**
   * Tells every replica (this one included) that `id` changed. Bounded: rejects within
   * REDIS_COMMAND_TIMEOUT_MS when Redis cannot take the message (at once while the connection is
   * down); the caller decides whether to retry.
   */
  async publish(id: string): Promise<void> {
    if (!this.publisher) throw new Error(`${this.connectionName} is not started`);
    await this.publisher.publish(this.channel, id);
  }

  private subscribe(): Promise<void> {
    if (this.subscribed || !this.subscriber) return Promise.resolve();
    this.subscribing ??= this.subscriber
      .subscribe(this.channel)
      .then(() => void (this.subscribed = true))
      .catch((err: Error) => this.logger.warn(`cannot subscribe yet (${err.message}); retrying when Redis is back`))
      .finally(() => (this.subscribing = undefined));
    return this.subscribing;
  }
}
