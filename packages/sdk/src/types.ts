/**
 * The request and response shapes of the routes the client wraps, taken from the
 * generated OpenAPI types (src/generated/openapi.ts) so that they follow the API:
 * when a route's schema changes, regenerating changes them and the compiler
 * points at every use.
 */
import type { components, operations } from './generated/openapi';

type Schemas = components['schemas'];
type QueryOf<O extends keyof operations> = NonNullable<operations[O]['parameters']['query']>;
/**
 * A list's filters with `cursor` and `limit` (1-500, default 50). `limit` is restated: the document declares it
 * without a type (PageQuery's `limit = 50` has no type annotation, so Nest's metadata says Object).
 */
/**
 * `T` with some fields restated. The document declares a few nullable fields without a type (an
 * `@ApiProperty({ nullable: true })` on `string | null` gives Nest only `Object`), which the generator turns into
 * `Record<string, never>`; they are restated here from the API's docs until the document says better. When it
 * does, the restatement is simply the same type again.
 */
type Restate<T, O> = Omit<T, keyof O> & O;
type ListQuery<O extends keyof operations> = Omit<QueryOf<O>, 'cursor' | 'limit'> & { limit?: number; cursor?: string };

/** A user of your client and its Flickr connection state. */
export type User = Schemas['UserResponse'];
/** Filters of `users.list` (`limit` is the page size, 1-500). */
export type UserListQuery = ListQuery<'UsersController_list'>;

export type ConnectSessionCreate = Schemas['CreateConnectSessionDto'];
export type ConnectSessionCreated = Schemas['ConnectSessionCreatedResponse'];
export type ConnectSession = Restate<Schemas['ConnectSessionResponse'], { return_url: string | null }>;

export type OAuthStart = Schemas['OAuthStartDto'];
export type OAuthStarted = Schemas['OAuthStartedResponse'];
export type OAuthVerify = Schemas['OAuthVerifyDto'];
export type OAuthComplete = Schemas['OAuthCompleteDto'];
export type OAuthConnected = Schemas['OAuthConnectedResponse'];

/** Form fields of an upload besides the file: Flickr's upload arguments and the queue priority (docs/queue.md). */
export type UploadFields = Omit<Schemas['UploadFormDoc'], 'photo'>;
export type UploadAccepted = Schemas['UploadAcceptedView'];
export type UploadJob = Restate<
  Schemas['UploadJobView'],
  {
    /** upload: the new Flickr photo id once completed; replace: the photo replaced (from the start). */
    photo_id: string | null;
    /** Why it failed. */
    reason: string | null;
    started_at: string | null;
    finished_at: string | null;
  }
>;
export type UploadStatus = UploadJob['status'];
export type UploadListQuery = ListQuery<'UploadsController_list'>;

export type FlickrCatalogue = Schemas['FlickrCatalogueView'];
/** Flickr's JSON answer (`stat: "ok"` and the method's fields). */
export type FlickrAnswer = { stat: 'ok' } & Record<string, unknown>;
/** A Flickr method's parameters: strings, numbers, booleans (sent as 1/0). */
export type FlickrParams = Record<string, string | number | boolean>;

/** Webhook event types an endpoint can subscribe to. */
export type WebhookEventName = NonNullable<Schemas['CreateWebhookEndpointDto']['events']>[number];
/** `{ url, events?, description? }`: https in production, never a loopback or private address there. */
export type WebhookEndpointCreate = Schemas['CreateWebhookEndpointDto'];
export type WebhookEndpoint = Schemas['WebhookEndpointResponse'];
/** `webhookEndpoints.create` answers the signing secret (`whsec_…`) once: keep it to verify deliveries. */
export type WebhookEndpointCreated = Schemas['WebhookEndpointCreatedResponse'];
/** One entry of an endpoint's delivery log (status pending, failed, succeeded or dead). */
export type WebhookDelivery = Schemas['WebhookDeliveryResponse'];
/** Page size (1-500) and cursor of the endpoint and delivery lists. */
export type WebhookListQuery = ListQuery<'WebhooksController_list'>;
