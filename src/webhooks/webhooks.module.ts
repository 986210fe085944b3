import { BullModule } from '@nestjs/bull';
import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { AppConfig } from '../config/app.config';
import { KmsModule } from '../kms/kms.module';
import { QueueModule } from '../queue/queue.module';
import { WebhookEndpointRepository } from './webhook-endpoint.repository';
import { WebhookEndpointsService } from './webhook-endpoints.service';
import { WebhookOutboxRepository } from './webhook-outbox.repository';
import { WebhookSecretSealer } from './webhook-secret.sealer';
import { WebhookUrlPolicy } from './webhook-url.policy';
import { WebhookDeliverer } from './webhook.deliverer';
import { WebhookEmitter } from './webhook.emitter';
import { WebhookProcessor } from './webhook.processor';
import { WEBHOOKS_QUEUE, WebhookQueue } from './webhook.queue';
import {
  WEBHOOK_DELIVERY_MODEL,
  WEBHOOK_ENDPOINT_MODEL,
  WEBHOOK_EVENT_MODEL,
  WEBHOOK_SEQUENCE_MODEL,
  WebhookDeliverySchema,
  WebhookEndpointSchema,
  WebhookEventSchema,
  WebhookSequenceSchema,
} from './webhook.schemas';
import { WebhookSender } from './webhook.sender';
import { WebhookSweeper } from './webhook.sweeper';
import { WebhooksController } from './webhooks.controller';
import { WebhooksMetrics, webhooksMetricProviders } from './webhooks.metrics';

/**
 * What both processes share: the outbox, the endpoints, the queue and `WebhookEmitter`, the port through which
 * higher features (uploads, users) report events. Imports no feature that emits, so they can all import it.
 */
@Module({
  imports: [
    QueueModule,
    KmsModule,
    BullModule.registerQueue({ name: WEBHOOKS_QUEUE }),
    MongooseModule.forFeature([
      { name: WEBHOOK_ENDPOINT_MODEL, schema: WebhookEndpointSchema },
      { name: WEBHOOK_EVENT_MODEL, schema: WebhookEventSchema },
      { name: WEBHOOK_DELIVERY_MODEL, schema: WebhookDeliverySchema },
      { name: WEBHOOK_SEQUENCE_MODEL, schema: WebhookSequenceSchema },
    ]),
  ],
  providers: [
    WebhookEndpointRepository,
    WebhookOutboxRepository,
    WebhookSecretSealer,
    WebhookQueue,
    WebhooksMetrics,
    ...webhooksMetricProviders,
    WebhookEmitter,
    { provide: WebhookUrlPolicy, inject: [AppConfig], useFactory: (app: AppConfig) => new WebhookUrlPolicy(app) },
  ],
  exports: [BullModule, WebhookEmitter, WebhookEndpointRepository, WebhookOutboxRepository, WebhookSecretSealer, WebhookQueue, WebhooksMetrics, WebhookUrlPolicy],
})
export class WebhooksModule {}

/** API process: the /v1/webhook-endpoints routes. It never sends a webhook. */
@Module({
  imports: [WebhooksModule],
  controllers: [WebhooksController],
  providers: [WebhookEndpointsService],
})
export class WebhooksHttpModule {}

/** Worker process: the queue processor that makes the HTTP requests, and the sweeper. */
@Module({
  imports: [WebhooksModule],
  providers: [WebhookSender, WebhookDeliverer, WebhookProcessor, WebhookSweeper],
})
export class WebhooksWorkerModule {}
