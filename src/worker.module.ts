import { Module } from '@nestjs/common';
import { CORE_MODULES } from './app.module';
import { UploadsWorkerModule } from './uploads/uploads.module';
import { WebhooksWorkerModule } from './webhooks/webhooks.module';

/**
 * The queue worker process: same core modules, no public routes; it serves only
 * its own probes and metrics. Processors are registered here as features land.
 */
@Module({
  imports: [...CORE_MODULES, UploadsWorkerModule, WebhooksWorkerModule],
})
export class WorkerModule {}
