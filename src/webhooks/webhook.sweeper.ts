import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { PeriodicTask } from '../common/timers/periodic-task';
import { WebhookOutboxRepository } from './webhook-outbox.repository';
import { WebhookQueue } from './webhook.queue';
import { WebhooksConfig } from './webhooks.config';

/** Deliveries triggered again per pass at most (the next pass continues). */
const SWEEP_BATCH = 500;

/** What one pass did. */
export interface WebhookSweepResult {
  triggered: number;
  purgedEvents: number;
  purgedDeliveries: number;
}

/**
 * The worker's safety net for the queue: every WEBHOOKS_SWEEP_INTERVAL_MS it triggers again the open deliveries
 * that have been due for longer than one interval and that no worker holds: their trigger never reached Redis
 * (it was down when the event was recorded or a retry was scheduled) or was lost with a dead worker. Duplicate
 * triggers are harmless (the delivery record is claimed before an attempt), so every replica may sweep. It also
 * deletes events and deliveries older than WEBHOOKS_RETENTION_MS (FerretDB has no TTL indexes).
 */
@Injectable()
export class WebhookSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WebhookSweeper.name);
  private readonly task: PeriodicTask;

  constructor(
    private readonly outbox: WebhookOutboxRepository,
    private readonly queue: WebhookQueue,
    private readonly config: WebhooksConfig,
  ) {
    this.task = new PeriodicTask('webhook sweep', config.WEBHOOKS_SWEEP_INTERVAL_MS, () => this.sweep(), this.logger);
  }

  onApplicationBootstrap(): void {
    this.task.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.task.stop();
  }

  /** One pass; `now` is for tests. */
  async sweep(now = new Date()): Promise<WebhookSweepResult> {
    const overdue = await this.outbox.overdue(new Date(now.getTime() - this.config.WEBHOOKS_SWEEP_INTERVAL_MS), now, SWEEP_BATCH);
    let triggered = 0;
    for (const { _id } of overdue) if (await this.queue.trigger(_id)) triggered++;
    const purged = await this.outbox.purgeBefore(new Date(now.getTime() - this.config.WEBHOOKS_RETENTION_MS));
    if (triggered > 0) this.logger.log(`re-queued ${triggered} overdue webhook deliveries`);
    return { triggered, purgedEvents: purged.events, purgedDeliveries: purged.deliveries };
  }
}
