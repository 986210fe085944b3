import { BullModule } from '@nestjs/bull';
import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { AuthModule } from '../auth/auth.module';
import { FlickrModule } from '../flickr/flickr.module';
import { QueueName } from '../queue/queue.constants';
import { QueueModule } from '../queue/queue.module';
import { TokensModule } from '../tokens/tokens.module';
import { UsersModule } from '../users/users.module';
import { WebhooksModule } from '../webhooks/webhooks.module';
import { UploadsHttpPlumbing } from './upload-board';
import { UploadDispatcher } from './upload-dispatcher.service';
import { UploadIdempotencyStore } from './upload-idempotency.store';
import { UploadJobRepository } from './upload-job.repository';
import { UPLOAD_IDEMPOTENCY_MODEL, UPLOAD_JOB_MODEL, UploadIdempotencySchema, UploadJobSchema } from './upload-job.schema';
import { UploadLanesStore } from './upload-lanes.store';
import { UploadListService } from './upload-list.service';
import { UploadLifecycle } from './upload-lifecycle.service';
import { UploadReconciler } from './upload-reconciler.service';
import { UploadRetentionSweeper } from './upload-retention.sweeper';
import { UploadStagingStore } from './upload-staging.store';
import { uploadBackoff } from './upload.backoff';
import { UploadProcessor } from './upload.processor';
import { UploadWorker } from './upload-worker.service';
import { UploadsConfig } from './uploads.config';
import { UploadsController } from './uploads.controller';
import { UploadsMetrics, uploadsMetricProviders } from './uploads.metrics';
import { UploadsService } from './uploads.service';

/** What both processes share: the job records, staging, lanes, lifecycle and metrics. */
@Module({
  imports: [
    QueueModule,
    WebhooksModule,
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
    MongooseModule.forFeature([
      { name: UPLOAD_JOB_MODEL, schema: UploadJobSchema },
      { name: UPLOAD_IDEMPOTENCY_MODEL, schema: UploadIdempotencySchema },
    ]),
  ],
  providers: [UploadJobRepository, UploadIdempotencyStore, UploadStagingStore, UploadLanesStore, UploadsMetrics, ...uploadsMetricProviders, UploadLifecycle, UploadReconciler],
  exports: [BullModule, UploadJobRepository, UploadIdempotencyStore, UploadStagingStore, UploadLanesStore, UploadsMetrics, UploadLifecycle, UploadReconciler],
})
export class UploadsCoreModule {}

/** API process: the upload routes and the queue dashboard; it only enqueues. */
@Module({
  imports: [UploadsCoreModule, AuthModule, UsersModule],
  controllers: [UploadsController],
  providers: [UploadsService, UploadListService, UploadsHttpPlumbing],
})
export class UploadsModule {}

/** Worker process: the dispatcher (lanes → Bull), the processor (Bull → Flickr) and the retention sweeper. */
@Module({
  imports: [UploadsCoreModule, FlickrModule, TokensModule, UsersModule],
  providers: [UploadWorker, UploadDispatcher, UploadProcessor, UploadRetentionSweeper],
})
export class UploadsWorkerModule {}
