import { Injectable } from '@nestjs/common';
import { decodeCursor, type Page, pageOf } from '../common/pagination/cursor';
import { NotFoundProblem } from '../common/problem/problem.exception';
import { WebhookEndpointRepository } from './webhook-endpoint.repository';
import { WebhookOutboxRepository } from './webhook-outbox.repository';
import { WebhookSecretSealer } from './webhook-secret.sealer';
import { WebhookUrlPolicy } from './webhook-url.policy';
import { DELIVERY_ID, ENDPOINT_ID, newEndpointId, newEndpointSecret, WEBHOOK_EVENT_TYPES, type WebhookEventType } from './webhook.events';
import { WebhookQueue } from './webhook.queue';
import type { WebhookDeliveryRecord, WebhookDeliveryStatus, WebhookEndpointRecord } from './webhook.schemas';
import { WebhooksConfig } from './webhooks.config';
import { WebhookEndpointLimitProblem } from './webhooks.errors';

/** An endpoint as the API shows it (never its secret, except once in `WebhookEndpointCreated`). */
export interface WebhookEndpointView {
  id: string;
  url: string;
  events: WebhookEventType[];
  description: string | null;
  created_at: Date;
}

export interface WebhookEndpointCreated extends WebhookEndpointView {
  secret: string;
}

/** One delivery of the delivery log. */
export interface WebhookDeliveryView {
  id: string;
  event_id: string;
  event_type: WebhookEventType;
  status: WebhookDeliveryStatus;
  attempts: number;
  last_attempt_at: Date | null;
  last_status_code: number | null;
  last_error: string | null;
  next_attempt_at: Date | null;
  created_at: Date;
}

export interface NewWebhookEndpoint {
  url: string;
  events?: WebhookEventType[];
  description?: string;
}

const toEndpointView = (r: WebhookEndpointRecord): WebhookEndpointView => ({
  id: r._id,
  url: r.url,
  events: r.events,
  description: r.description,
  created_at: r.created_at,
});

const toDeliveryView = (r: WebhookDeliveryRecord): WebhookDeliveryView => ({
  id: r._id,
  event_id: r.event_id,
  event_type: r.event_type,
  status: r.status,
  attempts: r.attempts,
  last_attempt_at: r.last_attempt_at,
  last_status_code: r.last_status_code,
  last_error: r.last_error,
  next_attempt_at: r.next_attempt_at,
  created_at: r.created_at,
});

/**
 * The client-facing side of webhooks (the /v1/webhook-endpoints routes): endpoints, the delivery log and
 * manual redelivery. Every read and write names the calling client: another client's endpoint is not found.
 */
@Injectable()
export class WebhookEndpointsService {
  constructor(
    private readonly endpoints: WebhookEndpointRepository,
    private readonly outbox: WebhookOutboxRepository,
    private readonly sealer: WebhookSecretSealer,
    private readonly policy: WebhookUrlPolicy,
    private readonly queue: WebhookQueue,
    private readonly config: WebhooksConfig,
  ) {}

  /** Registers an endpoint; the answer is the only time its signing secret is shown. */
  async create(clientId: string, input: NewWebhookEndpoint): Promise<WebhookEndpointCreated> {
    const url = await this.policy.check(input.url);
    if ((await this.endpoints.countOfClient(clientId)) >= this.config.WEBHOOKS_MAX_ENDPOINTS_PER_CLIENT) {
      throw new WebhookEndpointLimitProblem(this.config.WEBHOOKS_MAX_ENDPOINTS_PER_CLIENT);
    }
    const id = newEndpointId();
    const secret = newEndpointSecret();
    // Stored in the order of WEBHOOK_EVENT_TYPES, each once, whatever order the request gave.
    const events = WEBHOOK_EVENT_TYPES.filter((t) => (input.events ?? WEBHOOK_EVENT_TYPES).includes(t));
    const record: WebhookEndpointRecord = {
      _id: id,
      client_id: clientId,
      url,
      events,
      description: input.description ?? null,
      secret_enc: await this.sealer.seal(id, secret),
      created_at: new Date(),
    };
    await this.endpoints.insert(record);
    return { ...toEndpointView(record), secret };
  }

  async get(clientId: string, endpointId: string): Promise<WebhookEndpointView> {
    return toEndpointView(await this.owned(clientId, endpointId));
  }

  async list(clientId: string, limit: number, cursor?: string): Promise<Page<WebhookEndpointView>> {
    const after = cursor === undefined ? undefined : decodeCursor(cursor, ENDPOINT_ID);
    const rows = await this.endpoints.listOfClient(clientId, limit + 1, after);
    return pageOf(rows, limit, (r) => ({ at: r.created_at, id: r._id }), toEndpointView);
  }

  /** Deletes the endpoint and its deliveries: nothing more is sent to it (an attempt in flight is not recorded). */
  async delete(clientId: string, endpointId: string): Promise<void> {
    if (!(await this.endpoints.deleteOfClient(clientId, endpointId))) throw this.notFound();
    await this.outbox.deleteOfEndpoint(endpointId);
  }

  /** The endpoint's delivery log, newest first. */
  async deliveries(clientId: string, endpointId: string, limit: number, cursor?: string): Promise<Page<WebhookDeliveryView>> {
    const before = cursor === undefined ? undefined : decodeCursor(cursor, DELIVERY_ID);
    await this.owned(clientId, endpointId);
    const rows = await this.outbox.listOfEndpoint(endpointId, limit + 1, before);
    return pageOf(rows, limit, (r) => ({ at: r.created_at, id: r._id }), toDeliveryView);
  }

  /** Schedules a fresh attempt of the delivery now, with the same event id and body. */
  async redeliver(clientId: string, endpointId: string, deliveryId: string): Promise<WebhookDeliveryView> {
    await this.owned(clientId, endpointId);
    const record = await this.outbox.redeliver(endpointId, deliveryId, new Date());
    if (!record) throw new NotFoundProblem('No such delivery of this endpoint.');
    await this.queue.trigger(record._id);
    return toDeliveryView(record);
  }

  private async owned(clientId: string, endpointId: string): Promise<WebhookEndpointRecord> {
    const record = ENDPOINT_ID.test(endpointId) ? await this.endpoints.findOfClient(clientId, endpointId) : null;
    if (!record) throw this.notFound();
    return record;
  }

  private notFound(): NotFoundProblem {
    return new NotFoundProblem('No such webhook endpoint of this client.');
  }
}
