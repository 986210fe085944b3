/**
 * @flickr-gateway/sdk: a typed client for the flickr-gateway API (see README.md).
 * No runtime dependencies beyond Node's own fetch, crypto, fs and streams.
 */
export {
  GatewayClient,
  SDK_VERSION,
  type CallOptions,
  type GatewayClientOptions,
  type RetryOptions,
  type UploadOptions,
  type UploadResult,
  Users,
  ConnectSessions,
  OAuth,
  Flickr,
  Uploads,
  WebhookEndpoints,
} from './client';
export {
  AuthenticationError,
  ConflictError,
  FlickrPermissionError,
  GatewayConnectionError,
  GatewayError,
  NotFoundError,
  PROBLEM_TYPE_PREFIX,
  RateLimitError,
  UnavailableError,
  ValidationError,
  parseRetryAfter,
  toGatewayError,
  type GatewayErrorKind,
  type Problem,
} from './errors';
export { mediaTypeFor, type UploadSource } from './multipart';
export { Paginator, type Page } from './pagination';
export { SIGNATURE_ALGORITHM, canonicalQuery, keyIdOf, signRequest, stringToSign, type SignatureHeaders, type SignInput } from './signing';
export {
  DEFAULT_WEBHOOK_TOLERANCE_SECONDS,
  WEBHOOK_HEADERS,
  WEBHOOK_SIGNATURE_ALGORITHM,
  WebhookVerificationError,
  signWebhook,
  verifyWebhook,
  webhookStringToSign,
  type HeaderSource,
  type VerifyWebhookInput,
  type ConnectionCreatedData,
  type ConnectionErasedData,
  type ConnectionReauthorizationData,
  type UploadEventData,
  type WebhookEvent,
  type WebhookEventOf,
  type WebhookEventType,
  type WebhookVerificationReason,
} from './webhooks';
export type * from './types';
export type { components, operations, paths } from './generated/openapi';
