import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Verifying the gateway's webhook deliveries. Each delivery carries
 *
 *   x-fgw-event-id, x-fgw-event-type, x-fgw-delivery-id,
 *   x-fgw-webhook-timestamp: <unix seconds>,
 *   x-fgw-webhook-signature: v1=<lowercase hex>[,v1=<hex>…]   (several while the endpoint's secret rotates)
 *
 * and the signature is hex(HMAC-SHA256(UTF-8 of the whole secret `whsec_…`, string to sign)) with
 *
 *   FGW1-WEBHOOK-HMAC-SHA256\n<timestamp>\n<event id>\n<lowercase hex SHA-256 of the raw body bytes>
 */
export const WEBHOOK_SIGNATURE_ALGORITHM = 'FGW1-WEBHOOK-HMAC-SHA256';

/** Default accepted distance between the delivery's timestamp and the receiver's clock. */
export const DEFAULT_WEBHOOK_TOLERANCE_SECONDS = 300;

export const WEBHOOK_HEADERS = {
  eventId: 'x-fgw-event-id',
  eventType: 'x-fgw-event-type',
  deliveryId: 'x-fgw-delivery-id',
  timestamp: 'x-fgw-webhook-timestamp',
  signature: 'x-fgw-webhook-signature',
} as const;

/** The event types the gateway sends. */
export type WebhookEventType =
  | 'upload.completed'
  | 'upload.failed'
  | 'upload.expired'
  | 'upload.cancelled'
  | 'connection.created'
  | 'connection.reauthorization_required'
  | 'connection.erased';

/** `data` of the `upload.*` events: the job as it ended. */
export interface UploadEventData {
  job_id: string;
  kind: 'upload' | 'replace';
  status: 'completed' | 'failed' | 'expired' | 'cancelled';
  /** upload: the new photo's id once completed; replace: the photo replaced. */
  photo_id: string | null;
  /** Why it failed (e.g. `flickr-reauthorization-required`); null otherwise. */
  reason: string | null;
}

/** `data` of `connection.created`. */
export interface ConnectionCreatedData {
  state: 'connected';
  nsid: string;
  username: string;
  perms: 'read' | 'write' | 'delete';
}

/** `data` of `connection.reauthorization_required`: Flickr refused the token, or the client changed Flickr apps. */
export interface ConnectionReauthorizationData {
  state: 'reauthorization_required';
  reason: 'token-rejected' | 'flickr-app-changed' | (string & {});
}

/** `data` of `connection.erased`: whether there was a user to erase. */
export interface ConnectionErasedData {
  existed: boolean;
}

/** The envelope every event shares. */
export interface WebhookEventOf<T extends string, D> {
  /** `evt_…`: the same on every delivery of one event; de-duplicate on it. */
  id: string;
  type: T;
  /** The payload's version (1); a breaking change gets a new number. */
  version: number;
  /** ISO 8601. */
  created_at: string;
  user_id: string;
  /** Increases with every event of one user: order one user's events by it. */
  sequence: number;
  data: D;
}

/**
 * A verified event. Switching on `type` narrows `data`. New event types may be added: ignore types you do not
 * know rather than failing on them.
 */
export type WebhookEvent =
  | WebhookEventOf<'upload.completed' | 'upload.failed' | 'upload.expired' | 'upload.cancelled', UploadEventData>
  | WebhookEventOf<'connection.created', ConnectionCreatedData>
  | WebhookEventOf<'connection.reauthorization_required', ConnectionReauthorizationData>
  | WebhookEventOf<'connection.erased', ConnectionErasedData>;

/** Why a delivery was refused; answer 400 (or 401) and do not act on the body. */
export type WebhookVerificationReason =
  | 'missing-header'
  | 'malformed-timestamp'
  | 'timestamp-out-of-tolerance'
  | 'malformed-signature'
  | 'signature-mismatch'
  | 'malformed-body'
  | 'event-id-mismatch';

export class WebhookVerificationError extends Error {
  constructor(
    readonly reason: WebhookVerificationReason,
    message: string,
  ) {
    super(message);
    this.name = 'WebhookVerificationError';
  }
}

/** Request headers as Node (`IncomingHttpHeaders`), fetch (`Headers`) or a plain object give them. */
export type HeaderSource = Headers | Record<string, string | string[] | undefined>;

export interface VerifyWebhookInput {
  /** The endpoint's signing secret (`whsec_…`), or several while you rotate it on your side. */
  secret: string | readonly string[];
  headers: HeaderSource;
  /** The body exactly as received, before any JSON parsing. */
  rawBody: Uint8Array | string;
  /** Accepted clock distance in seconds (default 300). */
  toleranceSeconds?: number;
  /** The receiver's clock: a Date or milliseconds since the epoch (default now). */
  now?: Date | number;
}

function header(headers: HeaderSource, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const record = headers as Record<string, string | string[] | undefined>;
  const key = Object.keys(record).find((k) => k.toLowerCase() === name);
  const value = key === undefined ? undefined : record[key];
  return Array.isArray(value) ? value.join(',') : value;
}

function bytesOf(body: Uint8Array | string): Buffer {
  return typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

/** The string the gateway signs for one delivery. */
export function webhookStringToSign(timestamp: string, eventId: string, rawBody: Uint8Array | string): string {
  return [WEBHOOK_SIGNATURE_ALGORITHM, timestamp, eventId, createHash('sha256').update(bytesOf(rawBody)).digest('hex')].join('\n');
}

/** Lower-case hex signature of a delivery (what follows `v1=`); for tests of your own receiver. */
export function signWebhook(input: { secret: string; timestamp: string | number; eventId: string; rawBody: Uint8Array | string }): string {
  return createHmac('sha256', Buffer.from(input.secret, 'utf8')).update(webhookStringToSign(String(input.timestamp), input.eventId, input.rawBody)).digest('hex');
}

/**
 * Checks a delivery's signature and age, then parses it. Returns the event, or throws a
 * WebhookVerificationError (with `reason`) when anything is wrong: answer it with 400 and ignore the body.
 * Any `v1=` signature matching any of the given secrets is accepted; comparisons run in constant time.
 */
export function verifyWebhook(input: VerifyWebhookInput): WebhookEvent {
  const eventId = header(input.headers, WEBHOOK_HEADERS.eventId);
  const timestamp = header(input.headers, WEBHOOK_HEADERS.timestamp);
  const signatureHeader = header(input.headers, WEBHOOK_HEADERS.signature);
  for (const [name, value] of [
    [WEBHOOK_HEADERS.eventId, eventId],
    [WEBHOOK_HEADERS.timestamp, timestamp],
    [WEBHOOK_HEADERS.signature, signatureHeader],
  ] as const) {
    if (!value) throw new WebhookVerificationError('missing-header', `the ${name} header is missing`);
  }
  if (!/^\d{1,12}$/.test(timestamp!)) throw new WebhookVerificationError('malformed-timestamp', `${WEBHOOK_HEADERS.timestamp} is not unix seconds`);

  const nowMs = input.now === undefined ? Date.now() : typeof input.now === 'number' ? input.now : input.now.getTime();
  const tolerance = input.toleranceSeconds ?? DEFAULT_WEBHOOK_TOLERANCE_SECONDS;
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > tolerance) {
    throw new WebhookVerificationError('timestamp-out-of-tolerance', `the delivery's timestamp is more than ${tolerance} s from now (replayed, or a clock is wrong)`);
  }

  const presented = signatureHeader!
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.startsWith('v1='))
    .map((part) => part.slice(3).toLowerCase())
    .filter((hex) => /^[0-9a-f]{64}$/.test(hex))
    .map((hex) => Buffer.from(hex, 'hex'));
  if (presented.length === 0) throw new WebhookVerificationError('malformed-signature', `${WEBHOOK_HEADERS.signature} holds no v1= signature`);

  const body = bytesOf(input.rawBody);
  const secrets = typeof input.secret === 'string' ? [input.secret] : input.secret;
  const matched = secrets.some((secret) => {
    const expected = Buffer.from(signWebhook({ secret, timestamp: timestamp!, eventId: eventId!, rawBody: body }), 'hex');
    // Every candidate is compared (no early exit on the first byte) and all are 32 bytes long.
    return presented.map((given) => timingSafeEqual(given, expected)).includes(true);
  });
  if (!matched) throw new WebhookVerificationError('signature-mismatch', 'no signature matches: wrong secret, or the body or headers were changed');

  let event: WebhookEvent;
  try {
    event = JSON.parse(body.toString('utf8')) as WebhookEvent;
  } catch {
    throw new WebhookVerificationError('malformed-body', 'the body is not JSON');
  }
  if (!event || typeof event !== 'object' || event.id !== eventId) {
    throw new WebhookVerificationError('event-id-mismatch', `the body's id is not the signed ${WEBHOOK_HEADERS.eventId}`);
  }
  return event;
}
