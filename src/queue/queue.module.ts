import { BullModule } from '@nestjs/bull';
import { Module } from '@nestjs/common';
import { Redis } from 'ioredis';
import { RedisConfig } from '../redis/redis.config';
import { RedisConnectionFactory } from '../redis/redis.factory';
import { QueueName } from './queue.constants';

/**
 * Bull on the same Redis settings as everything else (URL or Sentinel). The API
 * produces jobs; the worker process registers the processors.
 */
@Module({
  imports: [
    BullModule.forRootAsync({
      inject: [RedisConnectionFactory, RedisConfig],
      useFactory: (factory: RedisConnectionFactory, config: RedisConfig) => ({
        prefix: `${config.REDIS_KEY_PREFIX}bull`,
        createClient: (type) =>
          new Redis(
            factory.options(
              `bull-${type}`,
              // Bull's blocking and subscriber connections must not give up on a command.
              type === 'client' ? {} : { maxRetriesPerRequest: null, enableReadyCheck: false },
            ),
          ),
      }),
    }),
    BullModule.registerQueue({ name: QueueName.Uploads }),
  ],
  exports: [BullModule],
})
export class QueueModule {}
