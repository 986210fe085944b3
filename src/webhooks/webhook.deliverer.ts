import { Injectable, Logger } from '@nestjs/common';
import { WebhookEndpointRepository } from './webhook-endpoint.repository';
import { WebhookOutboxRepository } from './webhook-outbox.repository';
import { WebhookSecretSealer } from './webhook-secret.sealer';
import { webhookRetryDelay } from './webhook.backoff';
import { WebhookQueue } from './webhook.queue';
import type { WebhookDeliveryRecord } from './webhook.schemas';
import { WebhookSender } from './webhook.sender';
import { signWebhook, WEBHOOK_HEADERS, WEBHOOK_USER_AGENT } from './webhook.signing';
import { WebhooksConfig } from './webhooks.config';
import { WebhooksMetrics } from './webhooks.metrics';

/** What one trigger of a delivery did. */
export type DeliverResult = 'not-due' | 'waiting' | 'dropped' | 'succeeded' | 'failed' | 'dead';

/** Extra lease time beyond the request timeout, for the reads and writes around the request. */
const LEASE_MARGIN_MS = 30_000;

/**
 * One attempt of one delivery, in the worker process only. The delivery record decides everything: the attempt
 * is made only if the record is open, due and claimed by this worker (so duplicate triggers do nothing), only
 * once no earlier event of the same user is still open for the same endpoint (per-user order), and its outcome is
 * written back with the next due time (full-jitter backoff) or `succeeded`/`dead`, then the retry is queued.
 */
@Injectable()
export class WebhookDeliverer {
  private readonly logger = new Logger(WebhookDeliverer.name);

  constructor(
    private readonly outbox: WebhookOutboxRepository,
    private readonly endpoints: WebhookEndpointRepository,
    private readonly sealer: WebhookSecretSealer,
    private readonly sender: WebhookSender,
    private readonly queue: WebhookQueue,
    private readonly metrics: WebhooksMetrics,
    private readonly config: WebhooksConfig,
  ) {}

  /** One trigger of the delivery; `now` is for tests. */
  async deliver(deliveryId: string, now = new Date()): Promise<DeliverResult> {
    const lease = new Date(now.getTime() + this.config.WEBHOOKS_REQUEST_TIMEOUT_MS + LEASE_MARGIN_MS);
    const delivery = await this.outbox.claim(deliveryId, now, lease);
    if (!delivery) return 'not-due';

    const endpoint = await this.endpoints.findById(delivery.endpoint_id);
    const event = endpoint ? await this.outbox.findEvent(delivery.event_id) : null;
    if (!endpoint || !event) {
      // The endpoint was deleted (or the user erased) after the trigger was queued.
      await this.outbox.deleteDelivery(deliveryId);
      return 'dropped';
    }

    if (delivery.holds_later) {
      const earlier = await this.outbox.earlierOpen(delivery);
      if (earlier) {
        // Per-user order: wait for the earlier event; its end wakes this one (wakeNext), the sweeper is the backstop.
        const due = earlier.next_attempt_at && earlier.next_attempt_at > now ? earlier.next_attempt_at : now;
        await this.outbox.release(deliveryId, lease, due);
        // The earlier one may have ended between the check and the release: then nobody else wakes this one.
        if (!(await this.outbox.earlierOpen(delivery))) await this.queue.trigger(deliveryId);
        return 'waiting';
      }
    }

    const secret = await this.sealer.open(endpoint._id, endpoint.secret_enc);
    const timestamp = String(Math.floor(Date.now() / 1000));
    const response = await this.sender.send(
      {
        url: endpoint.url,
        body: event.body,
        headers: {
          'content-type': 'application/json',
          'user-agent': WEBHOOK_USER_AGENT,
          [WEBHOOK_HEADERS.eventId]: event._id,
          [WEBHOOK_HEADERS.eventType]: event.type,
          [WEBHOOK_HEADERS.deliveryId]: delivery._id,
          [WEBHOOK_HEADERS.timestamp]: timestamp,
          [WEBHOOK_HEADERS.signature]: signWebhook(secret, timestamp, event._id, event.body),
        },
      },
      this.config.WEBHOOKS_REQUEST_TIMEOUT_MS,
    );
    this.metrics.attempt(response.outcome);

    // `now` later than the clock only in tests (a trigger "from the future" to reach the horizon without waiting).
    const at = new Date(Math.max(Date.now(), now.getTime()));
    const roundStarted = delivery.round_started_at ?? at;
    if (response.outcome === 'succeeded') {
      await this.outbox.recordAttempt(deliveryId, lease, at, {
        status: 'succeeded',
        last_status_code: response.statusCode,
        last_error: null,
        next_attempt_at: null,
        round_started_at: roundStarted,
        round_failures: delivery.round_failures,
        finished_at: at,
      });
      await this.wakeNext(delivery, at);
      return 'succeeded';
    }

    const failures = delivery.round_failures + 1;
    const dead = at.getTime() - roundStarted.getTime() >= this.config.WEBHOOKS_RETRY_HORIZON_MS;
    const wait = webhookRetryDelay(failures, this.config.WEBHOOKS_RETRY_BASE_MS, this.config.WEBHOOKS_RETRY_CAP_MS);
    const stored = await this.outbox.recordAttempt(deliveryId, lease, at, {
      status: dead ? 'dead' : 'failed',
      last_status_code: response.statusCode,
      last_error: response.error,
      next_attempt_at: dead ? null : new Date(at.getTime() + wait),
      round_started_at: roundStarted,
      round_failures: failures,
      finished_at: dead ? at : null,
    });
    if (!stored) return 'dropped';
    if (dead) {
      this.metrics.gaveUp();
      this.logger.warn({ deliveryId, endpointId: delivery.endpoint_id, attempts: delivery.attempts + 1 }, `webhook delivery given up: ${response.error}`);
      await this.wakeNext(delivery, at);
      return 'dead';
    }
    await this.queue.trigger(deliveryId, wait);
    return 'failed';
  }

  /** The delivery ended (succeeded or dead): the next open event of the same user for the same endpoint may go now. */
  private async wakeNext(delivery: WebhookDeliveryRecord, now: Date): Promise<void> {
    const next = await this.outbox.nextOpen(delivery);
    if (!next) return;
    await this.outbox.dueNow(next._id, now);
    await this.queue.trigger(next._id);
  }
}
