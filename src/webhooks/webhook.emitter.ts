import { Injectable, Logger } from '@nestjs/common';
import { WebhookEndpointRepository } from './webhook-endpoint.repository';
import { WebhookOutboxRepository } from './webhook-outbox.repository';
import { newDeliveryId, newEventId, WEBHOOK_PAYLOAD_VERSION, type WebhookEventInput, type WebhookPayload } from './webhook.events';
import { WebhookQueue } from './webhook.queue';
import type { WebhookDeliveryRecord } from './webhook.schemas';
import { WebhooksMetrics } from './webhooks.metrics';

/**
 * The one entry point of the features that cause events (uploads, users): `emit` after the state change is
 * stored. In whichever process it runs (API or worker) it only writes: the event and one pending delivery per
 * endpoint of the client subscribed to the type (the outbox, in MongoDB), then a queue trigger per delivery;
 * the HTTP requests are made by the worker alone (WebhookDeliverer). A client without a matching endpoint
 * costs one indexed read.
 */
@Injectable()
export class WebhookEmitter {
  private readonly logger = new Logger(WebhookEmitter.name);

  constructor(
    private readonly endpoints: WebhookEndpointRepository,
    private readonly outbox: WebhookOutboxRepository,
    private readonly queue: WebhookQueue,
    private readonly metrics: WebhooksMetrics,
  ) {}

  /**
   * Records the event for delivery. Never throws into the caller, whose state change is already stored: when
   * the outbox write fails the event is lost, logged at error level and counted
   * (`webhook_events_total{result="not_recorded"}`). `connection.erased` first drops every other stored event
   * and delivery of the user (docs/webhooks.md, Erasure), so only the erasure notice itself is still sent.
   */
  async emit(input: WebhookEventInput): Promise<void> {
    try {
      if (input.type === 'connection.erased') await this.outbox.deleteOfUser(input.clientId, input.userId);
      const endpoints = await this.endpoints.subscribedTo(input.clientId, input.type);
      if (endpoints.length === 0) return;
      const sequence = await this.outbox.nextSequence(`${input.clientId}/${input.userId}`);
      const now = new Date();
      const payload: WebhookPayload = {
        id: newEventId(),
        type: input.type,
        version: WEBHOOK_PAYLOAD_VERSION,
        created_at: now.toISOString(),
        user_id: input.userId,
        sequence,
        data: input.data,
      };
      const deliveries: WebhookDeliveryRecord[] = endpoints.map((endpoint) => ({
        _id: newDeliveryId(),
        endpoint_id: endpoint._id,
        client_id: input.clientId,
        user_id: input.userId,
        event_id: payload.id,
        event_type: input.type,
        sequence,
        status: 'pending',
        attempts: 0,
        last_attempt_at: null,
        last_status_code: null,
        last_error: null,
        next_attempt_at: now,
        round_started_at: null,
        round_failures: 0,
        holds_later: true,
        lease_until: null,
        finished_at: null,
        created_at: now,
      }));
      await this.outbox.record(
        { _id: payload.id, client_id: input.clientId, user_id: input.userId, type: input.type, sequence, body: JSON.stringify(payload), created_at: now },
        deliveries,
      );
      this.metrics.event(input.type, 'recorded');
      for (const delivery of deliveries) await this.queue.trigger(delivery._id);
    } catch (error) {
      this.metrics.event(input.type, 'not_recorded');
      this.logger.error({ clientId: input.clientId, userId: input.userId, type: input.type }, `webhook event not recorded: ${(error as Error).message}`);
    }
  }
}
