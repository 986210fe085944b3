import { InjectQueue } from '@nestjs/bull';
import { Injectable, Logger } from '@nestjs/common';
import type { Queue } from 'bull';

/** The Bull queue of webhook deliveries (registered by WebhooksModule, processed only by the worker). */
export const WEBHOOKS_QUEUE = 'webhooks';
export const DELIVER_JOB = 'deliver';

/** Longest an enqueue may take before the trigger is left to the sweeper. */
const ENQUEUE_TIMEOUT_MS = 2000;

export interface DeliverJobData {
  deliveryId: string;
}

/**
 * Puts delivery triggers on the queue. A trigger only says "look at this delivery": the record in MongoDB
 * decides whether an attempt is due, so a duplicate trigger is harmless and a lost one (Redis down) is made
 * good by the worker's sweeper. Never throws: returns false when the trigger could not be queued.
 */
@Injectable()
export class WebhookQueue {
  private readonly logger = new Logger(WebhookQueue.name);

  constructor(@InjectQueue(WEBHOOKS_QUEUE) private readonly queue: Queue<DeliverJobData>) {}

  async trigger(deliveryId: string, delayMs = 0): Promise<boolean> {
    try {
      const added = this.queue.add(DELIVER_JOB, { deliveryId }, { delay: Math.max(0, Math.round(delayMs)), attempts: 1, removeOnComplete: true, removeOnFail: true });
      // Bounded: an emitting API request must not wait on a Redis that does not answer.
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer from Redis within ${ENQUEUE_TIMEOUT_MS} ms`)), ENQUEUE_TIMEOUT_MS);
      });
      try {
        await Promise.race([added, timeout]);
      } finally {
        clearTimeout(timer);
      }
      return true;
    } catch (error) {
      this.logger.warn({ deliveryId }, `webhook delivery not queued (${(error as Error).message}); the sweeper will pick it up`);
      return false;
    }
  }
}
