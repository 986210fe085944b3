import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** Headers of every delivery request (docs/webhooks.md, Verifying a delivery). */
export const WEBHOOK_HEADERS = {
  eventId: 'x-fgw-event-id',
  eventType: 'x-fgw-event-type',
  deliveryId: 'x-fgw-delivery-id',
  timestamp: 'x-fgw-webhook-timestamp',
  signature: 'x-fgw-webhook-signature',
} as const;

export const WEBHOOK_USER_AGENT = 'flickr-gateway-webhooks/1';

/** First line of the string to sign; the same shape as request signing's FGW1-HMAC-SHA256. */
export const WEBHOOK_SIGNATURE_ALGORITHM = 'FGW1-WEBHOOK-HMAC-SHA256';

/** The signature header's scheme prefix. */
export const WEBHOOK_SIGNATURE_VERSION = 'v1';

/** How far a receiver should let the timestamp be from its own clock. */
export const WEBHOOK_TOLERANCE_S = 300;

/**
 * The exact text that gets signed: four lines joined by `\n`, no trailing newline — the algorithm name,
 * the timestamp (unix seconds as sent), the event id, and the lowercase hex SHA-256 of the raw body bytes.
 */
export function webhookStringToSign(timestamp: string, eventId: string, body: Buffer | string): string {
  return [WEBHOOK_SIGNATURE_ALGORITHM, timestamp, eventId, createHash('sha256').update(body).digest('hex')].join('\n');
}

/** `v1=<lowercase hex HMAC-SHA256>` keyed by the UTF-8 bytes of the whole secret string (`whsec_…`). */
export function signWebhook(secret: string, timestamp: string, eventId: string, body: Buffer | string): string {
  return `${WEBHOOK_SIGNATURE_VERSION}=${createHmac('sha256', secret).update(webhookStringToSign(timestamp, eventId, body)).digest('hex')}`;
}

/**
 * What a receiver does (the SDK's verifier follows the same steps): the timestamp within `toleranceS` of
 * `nowS`, then a constant-time comparison of the signature header with the expected one.
 */
export function verifyWebhook(
  secret: string,
  headers: { timestamp: string; eventId: string; signature: string },
  body: Buffer | string,
  nowS = Math.floor(Date.now() / 1000),
  toleranceS = WEBHOOK_TOLERANCE_S,
): boolean {
  if (!/^[0-9]{1,12}$/.test(headers.timestamp) || Math.abs(nowS - Number(headers.timestamp)) > toleranceS) return false;
  const expected = Buffer.from(signWebhook(secret, headers.timestamp, headers.eventId, body), 'utf8');
  const given = Buffer.from(headers.signature, 'utf8');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
