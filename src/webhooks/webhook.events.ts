import { randomBytes } from 'node:crypto';

/** Every event type a client can subscribe to (docs/webhooks.md, Events). */
export const WEBHOOK_EVENT_TYPES = [
  'upload.completed',
  'upload.failed',
  'upload.expired',
  'upload.cancelled',
  'connection.created',
  'connection.reauthorization_required',
  'connection.erased',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** The version of the payload shape below; a breaking change gets a new number. */
export const WEBHOOK_PAYLOAD_VERSION = 1;

/** The body of every delivery, serialised once when the event is recorded and sent byte for byte on every attempt. */
export interface WebhookPayload {
  id: string;
  type: WebhookEventType;
  version: typeof WEBHOOK_PAYLOAD_VERSION;
  created_at: string;
  user_id: string;
  /** Per (client, user), increasing with every event of that user: receivers can order by it. */
  sequence: number;
  data: Record<string, unknown>;
}

/** What a feature reports when something happens to one of a client's users; never a token or secret. */
export interface WebhookEventInput {
  clientId: string;
  userId: string;
  type: WebhookEventType;
  data: Record<string, string | number | boolean | null>;
}

export const newEventId = (): string => `evt_${randomBytes(16).toString('hex')}`;
export const newEndpointId = (): string => `we_${randomBytes(12).toString('hex')}`;
export const newDeliveryId = (): string => `wd_${randomBytes(12).toString('hex')}`;
/** The signing secret shown once at registration: `whsec_` and 32 random bytes in base64url. */
export const newEndpointSecret = (): string => `whsec_${randomBytes(32).toString('base64url')}`;

export const ENDPOINT_ID = /^we_[0-9a-f]{24}$/;
export const DELIVERY_ID = /^wd_[0-9a-f]{24}$/;
