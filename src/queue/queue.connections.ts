import { Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import { RedisConnectionFactory } from '../redis/redis.factory';
import { closeRedis } from '../redis/redis.close';

/**
 * Makes Bull's Redis connections through the shared factory and closes them at
 * shutdown: Bull does not quit connections that came from a custom createClient.
 */
@Injectable()
export class QueueConnections implements OnApplicationShutdown {
  private readonly clients = new Set<Redis>();

  constructor(private readonly factory: RedisConnectionFactory) {}

  create(type: 'client' | 'subscriber' | 'bclient'): Redis {
    const client = new Redis(
      this.factory.options(
        `bull-${type}`,
        // Bull's blocking and subscriber connections must not give up on a command.
        type === 'client' ? {} : { maxRetriesPerRequest: null, enableReadyCheck: false },
      ),
    );
    this.clients.add(client);
    return client;
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(
      [...this.clients].map((client) => closeRedis(client)),
    );
    this.clients.clear();
  }
}

@Module({ providers: [QueueConnections], exports: [QueueConnections] })
export class QueueConnectionsModule {}
