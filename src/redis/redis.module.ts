import { Global, Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { Redis } from 'ioredis';
import { RedisConnectionFactory } from './redis.factory';
import { RedisHealthIndicator } from './redis.health';
import { closeRedis } from './redis.close';
import { RedisReplication } from './redis.replication';

/** Closes the shared client after the HTTP server has drained (see docs/architecture.md, shutdown). */
@Injectable()
class RedisLifecycle implements OnApplicationShutdown {
  constructor(@Inject(Redis) private readonly redis: Redis) {}

  async onApplicationShutdown(): Promise<void> {
    await closeRedis(this.redis);
  }
}

/** Provides the shared ioredis client (inject `Redis`) and the connection factory. */
@Global()
@Module({
  imports: [TerminusModule],
  providers: [
    RedisConnectionFactory,
    {
      provide: Redis,
      inject: [RedisConnectionFactory],
      // Auto-pipelining: commands issued in the same tick by concurrent requests share one write to Redis.
      useFactory: (factory: RedisConnectionFactory) => factory.create('app', { enableAutoPipelining: true }),
    },
    RedisLifecycle,
    RedisHealthIndicator,
    RedisReplication,
  ],
  exports: [Redis, RedisConnectionFactory, RedisHealthIndicator, RedisReplication],
})
export class RedisModule {}
