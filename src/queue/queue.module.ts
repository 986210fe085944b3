import { BullModule } from '@nestjs/bull';
import { Module } from '@nestjs/common';
import { RedisConfig } from '../redis/redis.config';
import { QueueConnections, QueueConnectionsModule } from './queue.connections';
import { QueueName } from './queue.constants';
import { UploadsConfig } from '../uploads/uploads.config';
import { uploadBackoff } from '../uploads/upload.backoff';

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
    BullModule.registerQueueAsync({
      name: QueueName.Uploads,
      inject: [UploadsConfig],
      // Lock and stalled-check settings decide how soon a job of a dead worker runs again (docs/queue.md).
      useFactory: (config: UploadsConfig) => ({
        settings: {
          lockDuration: config.UPLOADS_LOCK_MS,
          stalledInterval: config.UPLOADS_STALLED_CHECK_MS,
          maxStalledCount: config.UPLOADS_MAX_STALLED,
          backoffStrategies: { upload: uploadBackoff(config.UPLOADS_RETRY_BASE_MS) },
        },
      }),
    }),
  ],
  exports: [BullModule],
})
export class QueueModule {}
