import { InjectQueue } from '@nestjs/bull';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { Job, Queue } from 'bull';
import { WebhookDeliverer } from './webhook.deliverer';
import { DELIVER_JOB, type DeliverJobData, WEBHOOKS_QUEUE } from './webhook.queue';
import { WebhooksConfig } from './webhooks.config';

/** Binds delivery triggers to the deliverer in the worker process, with the configured concurrency. */
@Injectable()
export class WebhookProcessor implements OnModuleInit {
  constructor(
    @InjectQueue(WEBHOOKS_QUEUE) private readonly queue: Queue<DeliverJobData>,
    private readonly deliverer: WebhookDeliverer,
    private readonly config: WebhooksConfig,
  ) {}

  onModuleInit(): void {
    // Retries are the deliverer's (state in MongoDB), never Bull's: a trigger runs once.
    void this.queue.process(DELIVER_JOB, this.config.WEBHOOKS_WORKER_CONCURRENCY, (job: Job<DeliverJobData>) => this.deliverer.deliver(job.data.deliveryId));
  }
}
