import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { GatewayConnectionError, GatewayError, toGatewayError } from './errors';
import { multipartBody, type UploadSource } from './multipart';
import { Paginator, type Page } from './pagination';
import { keyIdOf, signRequest } from './signing';
import type {
  ConnectSession,
  ConnectSessionCreate,
  ConnectSessionCreated,
  FlickrAnswer,
  FlickrCatalogue,
  FlickrParams,
  OAuthComplete,
  OAuthConnected,
  OAuthStart,
  OAuthStarted,
  OAuthVerify,
  UploadAccepted,
  UploadFields,
  UploadJob,
  UploadListQuery,
  User,
  UserListQuery,
  WebhookDelivery,
  WebhookEndpoint,
  WebhookEndpointCreate,
  WebhookEndpointCreated,
  WebhookListQuery,
} from './types';

/** The SDK's version, sent in User-Agent. */
export const SDK_VERSION = '0.1.0';

export interface RetryOptions {
  /**
   * Extra attempts for a request that is safe to repeat (GET, PUT, DELETE, and uploads, which carry an
   * Idempotency-Key) after 429, 503 or a lost connection. Default 2; 0 turns retries off.
   */
  maxRetries?: number;
  /**
   * The longest the SDK waits before a retry, in seconds (default 10). An answer whose Retry-After is longer
   * is thrown at once, so a caller is never blocked for a minute-long rate-limit window without knowing.
   */
  maxDelaySeconds?: number;
}

export interface GatewayClientOptions {
  /** The gateway's base URL, e.g. `https://gateway.example.com` (a path prefix is kept). */
  baseUrl: string;
  /** `fgw_<key_id>_<secret>`: sent as `X-API-Key`; also needed for uploads in HMAC mode. */
  apiKey?: string;
  /** `fgws_…`: when given, every JSON request is HMAC-signed instead of carrying the API key. */
  signingSecret?: string;
  /** The key id for signing; read from `apiKey` when omitted. */
  keyId?: string;
  /** Force one mode; default `hmac` when `signingSecret` is given, else `api-key`. */
  auth?: 'api-key' | 'hmac';
  retry?: RetryOptions;
  /** Per attempt, for JSON requests (default 30 000 ms). Uploads have no overall timeout unless given per call. */
  timeoutMs?: number;
  /** A fetch implementation (default the global one); useful for tests or a proxy agent. */
  fetch?: typeof fetch;
  /** Appended to the SDK's User-Agent. */
  userAgent?: string;
}

/** Per-call options. */
export interface CallOptions {
  /** Cancels the call (and any wait before a retry). */
  signal?: AbortSignal;
  /** Sent as X-Request-Id (8-128 of A-Z a-z 0-9 . _ : -); the gateway logs and answers it. */
  requestId?: string;
  /** Overrides the client's timeout for this call, per attempt. */
  timeoutMs?: number;
}

export interface UploadOptions extends CallOptions {
  /** Flickr's upload fields (title, description, tags, is_public…) and the queue `priority`. */
  fields?: UploadFields;
  /** Reused on the SDK's own retries; a fresh UUID when omitted. Send the same key to repeat an upload safely. */
  idempotencyKey?: string;
  /** The file name sent (default: the path's base name, or `upload`). */
  filename?: string;
  /** The file's media type (default from the file name's extension). */
  contentType?: string;
  /** A stream source's exact size in bytes: sent as Content-Length (otherwise the body is chunked). */
  size?: number;
}

export type UploadResult = UploadAccepted & { /** The Idempotency-Key the upload was sent with. */ idempotencyKey: string };

interface Attempt {
  headers: Record<string, string>;
  body?: Uint8Array | ReadableStream<Uint8Array>;
}

type Query = Record<string, string | number | boolean | Date | undefined>;

const seg = (value: string) => encodeURIComponent(value);

/**
 * The gateway's API. Each area of the API is a property (`users`, `connectSessions`, `oauth`, `flickr`,
 * `uploads`, `webhookEndpoints`); `request` reaches any other route with the same authentication, retries
 * and errors. Every error answer is thrown as a GatewayError subclass (src/errors.ts).
 */
export class GatewayClient {
  readonly users: Users;
  readonly connectSessions: ConnectSessions;
  readonly oauth: OAuth;
  readonly flickr: Flickr;
  readonly uploads: Uploads;
  readonly webhookEndpoints: WebhookEndpoints;

  private readonly baseUrl: string;
  private readonly mode: 'api-key' | 'hmac';
  private readonly keyId: string | undefined;
  private readonly maxRetries: number;
  private readonly maxDelaySeconds: number;
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch;
  private readonly userAgent: string;

  constructor(private readonly options: GatewayClientOptions) {
    if (!options.baseUrl) throw new TypeError('baseUrl is required');
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.mode = options.auth ?? (options.signingSecret ? 'hmac' : 'api-key');
    if (this.mode === 'api-key' && !options.apiKey) throw new TypeError('apiKey is required (or signingSecret and keyId for HMAC signing)');
    this.keyId = options.keyId ?? (options.apiKey ? keyIdOf(options.apiKey) : undefined);
    if (this.mode === 'hmac' && (!options.signingSecret || !this.keyId)) {
      throw new TypeError('HMAC signing needs signingSecret and keyId (or an apiKey to read the key id from)');
    }
    this.maxRetries = Math.max(0, options.retry?.maxRetries ?? 2);
    this.maxDelaySeconds = options.retry?.maxDelaySeconds ?? 10;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.fetchImpl = options.fetch ?? fetch;
    this.userAgent = `flickr-gateway-sdk/${SDK_VERSION} node/${process.versions.node}${options.userAgent ? ` ${options.userAgent}` : ''}`;

    this.users = new Users(this);
    this.connectSessions = new ConnectSessions(this);
    this.oauth = new OAuth(this);
    this.flickr = new Flickr(this);
    this.uploads = new Uploads(this);
    this.webhookEndpoints = new WebhookEndpoints(this);
  }

  /**
   * Any JSON route: `path` is sent as given (encode ids with encodeURIComponent), `query` values are
   * percent-encoded, `body` is sent as JSON. Retried when `idempotent` (default: GET, PUT and DELETE).
   * Answers the parsed JSON body, or undefined for an empty answer (204).
   */
  async request<T>(
    spec: { method: string; path: string; query?: Query; body?: unknown; headers?: Record<string, string>; idempotent?: boolean },
    options: CallOptions = {},
  ): Promise<T> {
    const method = spec.method.toUpperCase();
    const url = this.url(spec.path, spec.query);
    const body = spec.body === undefined ? undefined : Buffer.from(JSON.stringify(spec.body), 'utf8');
    const idempotent = spec.idempotent ?? ['GET', 'HEAD', 'PUT', 'DELETE'].includes(method);
    const response = await this.send(method, url, { retry: idempotent, timeoutMs: options.timeoutMs ?? this.timeoutMs }, options, () => ({
      headers: {
        ...this.authHeaders(method, url, body ?? new Uint8Array()),
        ...(body ? { 'content-type': 'application/json' } : {}),
        ...spec.headers,
      },
      body,
    }));
    return parseBody<T>(await response.text());
  }

  /** @internal Streams a multipart upload with X-API-Key (the gateway refuses signed multipart requests). */
  async upload(path: string, source: UploadSource, fields: Record<string, string | undefined>, options: UploadOptions): Promise<UploadResult> {
    if (!this.options.apiKey) {
      throw new TypeError('uploads authenticate with X-API-Key (the gateway refuses HMAC-signed multipart bodies): give the client apiKey too');
    }
    const idempotencyKey = options.idempotencyKey ?? randomUUID();
    const multipart = await multipartBody(source, { fields, filename: options.filename, contentType: options.contentType, size: options.size });
    const url = this.url(path);
    const response = await this.send(
      'POST',
      url,
      // Safe to repeat with the same key, but only when the body can be produced again.
      { retry: multipart.replayable, timeoutMs: options.timeoutMs, retryConflicts: true },
      options,
      () => ({
        headers: {
          'x-api-key': this.options.apiKey!,
          'idempotency-key': idempotencyKey,
          'content-type': multipart.contentType,
          ...(multipart.contentLength === undefined ? {} : { 'content-length': String(multipart.contentLength) }),
        },
        body: Readable.toWeb(Readable.from(multipart.open(), { objectMode: false })) as ReadableStream<Uint8Array>,
      }),
    );
    return { ...parseBody<UploadAccepted>(await response.text()), idempotencyKey };
  }

  /** @internal A cursor list as a Paginator. */
  paginate<T>(path: string, query: Query & { cursor?: string }, options: CallOptions): Paginator<T> {
    const { cursor, ...filters } = query;
    return new Paginator<T>((next) => this.request<Page<T>>({ method: 'GET', path, query: { ...filters, cursor: next } }, options), cursor);
  }

  private url(path: string, query: Query = {}): string {
    const parts = Object.entries(query)
      .filter((entry): entry is [string, string | number | boolean | Date] => entry[1] !== undefined)
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v instanceof Date ? v.toISOString() : String(v))}`);
    return `${this.baseUrl}${path}${parts.length ? `?${parts.join('&')}` : ''}`;
  }

  /** API key, or a fresh signature (new nonce and timestamp) over the path and query as they go on the wire. */
  private authHeaders(method: string, url: string, body: Uint8Array): Record<string, string> {
    if (this.mode === 'api-key') return { 'x-api-key': this.options.apiKey! };
    const wire = new URL(url);
    return {
      ...signRequest({
        keyId: this.keyId!,
        signingSecret: this.options.signingSecret!,
        method,
        path: wire.pathname,
        query: wire.search.slice(1),
        body,
      }),
    };
  }

  /**
   * One call with its retries. `attempt()` builds each try afresh: a new signature (nonces are single-use)
   * and a new body stream.
   */
  private async send(
    method: string,
    url: string,
    policy: { retry: boolean; timeoutMs?: number; retryConflicts?: boolean },
    options: CallOptions,
    attempt: () => Attempt,
  ): Promise<Response> {
    for (let n = 0; ; n++) {
      const canRetry = policy.retry && n < this.maxRetries;
      const built = attempt();
      const signals = [options.signal, policy.timeoutMs ? AbortSignal.timeout(policy.timeoutMs) : undefined].filter((s): s is AbortSignal => !!s);
      let response: Response;
      try {
        response = await this.fetchImpl(url, {
          method,
          headers: {
            'user-agent': this.userAgent,
            accept: 'application/json, application/problem+json',
            ...(options.requestId ? { 'x-request-id': options.requestId } : {}),
            ...built.headers,
          },
          body: built.body,
          signal: signals.length ? AbortSignal.any(signals) : undefined,
          redirect: 'manual',
          ...(built.body instanceof ReadableStream ? { duplex: 'half' } : {}),
        } as RequestInit);
      } catch (cause) {
        if (canRetry && !options.signal?.aborted) {
          await sleep(backoffSeconds(n), options.signal);
          continue;
        }
        const reason = cause instanceof Error ? (cause.cause instanceof Error ? cause.cause.message : cause.message) : String(cause);
        throw new GatewayConnectionError(`${method} ${url} got no answer: ${reason}`, method, url, { cause });
      }
      if (response.status < 400) return response;

      const error = toGatewayError({ status: response.status, statusText: response.statusText, headers: response.headers, body: await response.text(), method, url });
      if (canRetry && retriable(error, policy.retryConflicts === true)) {
        const wait = error.retryAfterSeconds ?? backoffSeconds(n);
        if (wait <= this.maxDelaySeconds) {
          await sleep(wait, options.signal);
          continue;
        }
      }
      throw error;
    }
  }
}

/** 429 and 503 (whatever the cause) and, for uploads, 409 idempotency-in-progress (the first try is still being received). */
function retriable(error: GatewayError, conflicts: boolean): boolean {
  return error.status === 429 || error.status === 503 || (conflicts && error.code === 'idempotency-in-progress');
}

/** 0.5 s, 1 s, 2 s… with jitter, when the answer gave no Retry-After. */
function backoffSeconds(attempt: number): number {
  return 0.5 * 2 ** attempt * (0.75 + Math.random() * 0.5);
}

function sleep(seconds: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, seconds * 1000);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function parseBody<T>(text: string): T {
  return (text ? JSON.parse(text) : undefined) as T;
}

/** `GET|PUT|DELETE /v1/users/{user_id}`, `GET /v1/users`. */
export class Users {
  constructor(private readonly client: GatewayClient) {}

  /** Your user and its Flickr connection state; NotFoundError if you never registered it. */
  get(userId: string, options?: CallOptions): Promise<User> {
    return this.client.request<User>({ method: 'GET', path: `/v1/users/${seg(userId)}` }, options);
  }

  /** Registers a user (idempotent: an existing one is answered as is). */
  register(userId: string, options?: CallOptions): Promise<User> {
    return this.client.request<User>({ method: 'PUT', path: `/v1/users/${seg(userId)}` }, options);
  }

  /** Your users, oldest first, filtered by connection `state`; iterate with `for await`. */
  list(query: UserListQuery = {}, options: CallOptions = {}): Paginator<User> {
    return this.client.paginate<User>('/v1/users', query, options);
  }

  /** Erases the user: queued uploads cancelled, token, cached answers and registration deleted (idempotent). */
  async erase(userId: string, options?: CallOptions): Promise<void> {
    await this.client.request<void>({ method: 'DELETE', path: `/v1/users/${seg(userId)}` }, options);
  }
}

/** `POST /v1/connect-sessions`, `GET /v1/connect-sessions/{id}` (docs/connect.md). */
export class ConnectSessions {
  constructor(private readonly client: GatewayClient) {}

  /** A one-time `connect_url` for the end user's browser (registers the user if new). */
  create(body: ConnectSessionCreate, options?: CallOptions): Promise<ConnectSessionCreated> {
    return this.client.request<ConnectSessionCreated>({ method: 'POST', path: '/v1/connect-sessions', body }, options);
  }

  get(sessionId: string, options?: CallOptions): Promise<ConnectSession> {
    return this.client.request<ConnectSession>({ method: 'GET', path: `/v1/connect-sessions/${seg(sessionId)}` }, options);
  }
}

/** Connecting a Flickr account without the hosted page: `POST /v1/oauth/start|verify|complete` (docs/flickr.md). */
export class OAuth {
  constructor(private readonly client: GatewayClient) {}

  start(body: OAuthStart, options?: CallOptions): Promise<OAuthStarted> {
    return this.client.request<OAuthStarted>({ method: 'POST', path: '/v1/oauth/start', body }, options);
  }

  /** PIN (oob) mode: the 9-digit PIN the user copied from Flickr. */
  verify(body: OAuthVerify, options?: CallOptions): Promise<OAuthConnected> {
    return this.client.request<OAuthConnected>({ method: 'POST', path: '/v1/oauth/verify', body }, options);
  }

  /** Callback mode: the `state` from `start`, kept in the end user's session. */
  complete(body: OAuthComplete, options?: CallOptions): Promise<OAuthConnected> {
    return this.client.request<OAuthConnected>({ method: 'POST', path: '/v1/oauth/complete', body }, options);
  }
}

/** The Flickr proxy: `POST /v1/users/{user_id}/flickr/{method}` and the method catalogue. */
export class Flickr {
  constructor(private readonly client: GatewayClient) {}

  /**
   * Calls a Flickr REST method as the user and answers Flickr's JSON. Not retried by the SDK (a write
   * method may not be safe to repeat). `noCache` bypasses the gateway's read cache.
   */
  call<T extends Record<string, unknown> = FlickrAnswer>(
    userId: string,
    method: string,
    params: FlickrParams = {},
    options: CallOptions & { noCache?: boolean } = {},
  ): Promise<T> {
    return this.client.request<T>(
      {
        method: 'POST',
        path: `/v1/users/${seg(userId)}/flickr/${seg(method)}`,
        body: params,
        headers: options.noCache ? { 'cache-control': 'no-cache' } : {},
      },
      options,
    );
  }

  /** Every Flickr method the gateway knows, with its permission, parameters and cache TTL. */
  methods(options?: CallOptions): Promise<FlickrCatalogue> {
    return this.client.request<FlickrCatalogue>({ method: 'GET', path: '/v1/flickr/methods' }, options);
  }
}

/** Uploads through the gateway's queue (docs/queue.md). */
export class Uploads {
  constructor(private readonly client: GatewayClient) {}

  /**
   * Queues a photo or video for the user's Flickr account; answers 202's `{job_id, status, status_url}` and
   * the Idempotency-Key used. The file is streamed, never read whole into memory.
   */
  create(userId: string, file: UploadSource, options: UploadOptions = {}): Promise<UploadResult> {
    return this.client.upload(`/v1/users/${seg(userId)}/uploads`, file, { ...(options.fields as Record<string, string | undefined>) }, options);
  }

  /** Queues new bytes for one of the user's Flickr photos (it keeps its id, title, tags…). */
  replace(userId: string, photoId: string, file: UploadSource, options: Omit<UploadOptions, 'fields'> & { priority?: 'high' | 'normal' | 'low' } = {}): Promise<UploadResult> {
    return this.client.upload(`/v1/users/${seg(userId)}/photos/${seg(photoId)}/replace`, file, { priority: options.priority }, options);
  }

  get(jobId: string, options?: CallOptions): Promise<UploadJob> {
    return this.client.request<UploadJob>({ method: 'GET', path: `/v1/uploads/${seg(jobId)}` }, options);
  }

  /** Your jobs, oldest first; filters `user_id`, `status`, `from`/`to` (created_at). */
  list(query: UploadListQuery = {}, options: CallOptions = {}): Paginator<UploadJob> {
    return this.client.paginate<UploadJob>('/v1/uploads', query, options);
  }

  /** Cancels a job no worker has started; ConflictError `upload-not-cancellable` otherwise. */
  cancel(jobId: string, options?: CallOptions): Promise<UploadJob> {
    return this.client.request<UploadJob>({ method: 'DELETE', path: `/v1/uploads/${seg(jobId)}` }, options);
  }
}

/** Webhook endpoints of your client and their delivery log. */
export class WebhookEndpoints {
  constructor(private readonly client: GatewayClient) {}

  /** Registers an endpoint; the answer's `secret` is shown once: store it to verify deliveries. */
  create(body: WebhookEndpointCreate, options?: CallOptions): Promise<WebhookEndpointCreated> {
    return this.client.request<WebhookEndpointCreated>({ method: 'POST', path: '/v1/webhook-endpoints', body }, options);
  }

  list(query: WebhookListQuery = {}, options: CallOptions = {}): Paginator<WebhookEndpoint> {
    return this.client.paginate<WebhookEndpoint>('/v1/webhook-endpoints', { ...query }, options);
  }

  get(endpointId: string, options?: CallOptions): Promise<WebhookEndpoint> {
    return this.client.request<WebhookEndpoint>({ method: 'GET', path: `/v1/webhook-endpoints/${seg(endpointId)}` }, options);
  }

  /** Deletes the endpoint: no further deliveries. */
  async delete(endpointId: string, options?: CallOptions): Promise<void> {
    await this.client.request<void>({ method: 'DELETE', path: `/v1/webhook-endpoints/${seg(endpointId)}` }, options);
  }

  /** The endpoint's delivery log, newest first, a page at a time. */
  deliveries(endpointId: string, query: WebhookListQuery = {}, options: CallOptions = {}): Paginator<WebhookDelivery> {
    return this.client.paginate<WebhookDelivery>(`/v1/webhook-endpoints/${seg(endpointId)}/deliveries`, { ...query }, options);
  }

  /** Sends the delivery again now (same event id and body), whatever its status; answers it, `pending`. */
  redeliver(endpointId: string, deliveryId: string, options?: CallOptions): Promise<WebhookDelivery> {
    return this.client.request<WebhookDelivery>(
      { method: 'POST', path: `/v1/webhook-endpoints/${seg(endpointId)}/deliveries/${seg(deliveryId)}/redeliver` },
      options,
    );
  }
}
