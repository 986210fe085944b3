import { BullModule } from '@nestjs/bull';
import { Module } from '@nestjs/common';
import { RedisConfig } from '../redis/redis.config';
import { QueueConnections, QueueConnectionsModule } from './queue.connections';

/**
 * Bull's connection only (`forRoot`), on the same Redis settings as everything else (URL or
 * Sentinel). Each feature registers its own queues with their options (uploads: UploadsCoreModule).
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
  ],
  exports: [BullModule],
})
export class QueueModule {}
