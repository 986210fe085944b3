import { Schema } from 'mongoose';
import type { Envelope } from '../kms/envelope';
import type { WebhookEventType } from './webhook.events';

export const WEBHOOK_ENDPOINT_MODEL = 'WebhookEndpoint';
export const WEBHOOK_EVENT_MODEL = 'WebhookEvent';
export const WEBHOOK_DELIVERY_MODEL = 'WebhookDelivery';
export const WEBHOOK_SEQUENCE_MODEL = 'WebhookSequence';

/**
 * Collection `webhook_endpoints`: a client's registered receiver. The signing secret exists only inside
 * `secret_enc` (sealed under the app-credentials key, bound to this endpoint id); the API shows it once.
 */
export interface WebhookEndpointRecord {
  _id: string;
  client_id: string;
  url: string;
  events: WebhookEventType[];
  description: string | null;
  secret_enc: Envelope;
  created_at: Date;
}

export const WebhookEndpointSchema = new Schema<WebhookEndpointRecord>(
  {
    _id: { type: String },
    client_id: { type: String, required: true },
    url: { type: String, required: true },
    events: { type: [String], required: true },
    description: { type: String, default: null },
    secret_enc: { type: Schema.Types.Mixed, required: true },
    created_at: { type: Date, required: true },
  },
  { collection: 'webhook_endpoints', versionKey: false, minimize: false },
);
// The emitter finds a client's endpoints on every event; the list pages them in (created_at, _id) order.
WebhookEndpointSchema.index({ client_id: 1, created_at: 1, _id: 1 });

/**
 * Collection `webhook_events`: one document per event of a client that had a matching endpoint (the outbox).
 * `body` is the exact JSON sent on every attempt and redelivery, so each attempt carries the same bytes.
 */
export interface WebhookEventRecord {
  _id: string;
  client_id: string;
  user_id: string;
  type: WebhookEventType;
  sequence: number;
  body: string;
  created_at: Date;
}

export const WebhookEventSchema = new Schema<WebhookEventRecord>(
  {
    _id: { type: String },
    client_id: { type: String, required: true },
    user_id: { type: String, required: true },
    type: { type: String, required: true },
    sequence: { type: Number, required: true },
    body: { type: String, required: true },
    created_at: { type: Date, required: true },
  },
  { collection: 'webhook_events', versionKey: false, minimize: false },
);
// Erasure drops a user's events; retention drops old ones.
WebhookEventSchema.index({ client_id: 1, user_id: 1 });
WebhookEventSchema.index({ created_at: 1 });

/**
 * A delivery's state: `pending` (not attempted yet, or a redelivery asked for), `failed` (the last attempt
 * failed; another is due at next_attempt_at), `succeeded` (a 2xx answer), `dead` (still failing
 * WEBHOOKS_RETRY_HORIZON_MS after its first attempt: no more automatic attempts).
 */
export type WebhookDeliveryStatus = 'pending' | 'failed' | 'succeeded' | 'dead';
export const OPEN_DELIVERY_STATUSES: readonly WebhookDeliveryStatus[] = ['pending', 'failed'];

/** Collection `webhook_deliveries`: one event to one endpoint, with its attempts (the delivery log). */
export interface WebhookDeliveryRecord {
  _id: string;
  endpoint_id: string;
  client_id: string;
  user_id: string;
  event_id: string;
  event_type: WebhookEventType;
  /** The event's sequence: an endpoint gets one user's events in this order. */
  sequence: number;
  status: WebhookDeliveryStatus;
  attempts: number;
  last_attempt_at: Date | null;
  last_status_code: number | null;
  last_error: string | null;
  /** When the next attempt is due (null once succeeded or dead). */
  next_attempt_at: Date | null;
  /** First attempt of the current round (the original delivery or the last redelivery): the horizon counts from it. */
  round_started_at: Date | null;
  /** Failed attempts in the current round: the backoff exponent. */
  round_failures: number;
  /**
   * Whether later events of the same user wait for this one (true for an original delivery; false after a
   * manual redelivery, which replays an old event and must not hold back newer ones).
   */
  holds_later: boolean;
  /** A worker holds the delivery until then while it attempts it (another worker's claim fails). */
  lease_until: Date | null;
  finished_at: Date | null;
  created_at: Date;
}

export const WebhookDeliverySchema = new Schema<WebhookDeliveryRecord>(
  {
    _id: { type: String },
    endpoint_id: { type: String, required: true },
    client_id: { type: String, required: true },
    user_id: { type: String, required: true },
    event_id: { type: String, required: true },
    event_type: { type: String, required: true },
    sequence: { type: Number, required: true },
    status: { type: String, required: true },
    attempts: { type: Number, default: 0 },
    last_attempt_at: { type: Date, default: null },
    last_status_code: { type: Number, default: null },
    last_error: { type: String, default: null },
    next_attempt_at: { type: Date, default: null },
    round_started_at: { type: Date, default: null },
    round_failures: { type: Number, default: 0 },
    holds_later: { type: Boolean, default: true },
    lease_until: { type: Date, default: null },
    finished_at: { type: Date, default: null },
    created_at: { type: Date, required: true },
  },
  { collection: 'webhook_deliveries', versionKey: false, minimize: false },
);
// The delivery log: one endpoint's deliveries, newest first.
WebhookDeliverySchema.index({ endpoint_id: 1, created_at: -1, _id: -1 });
// Ordering: the earlier open deliveries of one endpoint and user.
WebhookDeliverySchema.index({ endpoint_id: 1, user_id: 1, sequence: 1 });
// The sweeper: open deliveries overdue.
WebhookDeliverySchema.index({ status: 1, next_attempt_at: 1 });
// Erasure.
WebhookDeliverySchema.index({ client_id: 1, user_id: 1 });

/**
 * Collection `webhook_sequences`: the last sequence number given to a user's events, `_id` `<client_id>/<user_id>`.
 * Kept when the user is erased, so a user id registered again continues above the old numbers.
 */
export interface WebhookSequenceRecord {
  _id: string;
  last: number;
}

export const WebhookSequenceSchema = new Schema<WebhookSequenceRecord>(
  { _id: { type: String }, last: { type: Number, required: true } },
  { collection: 'webhook_sequences', versionKey: false },
);
