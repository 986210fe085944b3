import { BullModule } from '@nestjs/bull';
import { Module } from '@nestjs/common';
import { RedisConfig } from '../redis/redis.config';
import { QueueConnections, QueueConnectionsModule } from './queue.connections';
import { QueueName } from './queue.constants';

/**
 * Bull on the same Redis settings as everything else (URL or Sentinel). The API
 * produces jobs; the worker process registers the processors.
 */
@Module({
  imports: [
    BullModule.forRootAsync({
      imports: [QueueConnectionsModule],
      inject: [QueueConnections, RedisConfig],
      useFactory: (connections: QueueConnections, config: RedisConfig) => ({
        prefix: `${config.REDIS_KEY_PREFIX}bull`,
        createClient: (type) => connections.create(type),
      }),
    }),
    BullModule.registerQueue({ name: QueueName.Uploads }),
  ],
  exports: [BullModule],
})
export class QueueModule {}
