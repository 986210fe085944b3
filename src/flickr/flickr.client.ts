import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { createFlickr, FetchTransport } from 'flickr-sdk';
import { Agent, type Dispatcher, request } from 'undici';
import { FlickrConfig } from './flickr.config';
import { FlickrUpstreamError } from './flickr.errors';

/** A user's Flickr access token. */
export interface FlickrUserToken {
  oauthToken: string;
  oauthTokenSecret: string;
  /**
   * The app the token was issued to: Flickr binds tokens to the consumer key, so every request made
   * with the token is signed with this app. Absent: the gateway's own app.
   */
  consumer?: FlickrConsumer;
}

/** A Flickr app's credentials (OAuth consumer): the gateway's own (FLICKR_CONSUMER_KEY/SECRET) or a client's (src/flickr-apps). */
export interface FlickrConsumer {
  consumerKey: string;
  consumerSecret: string;
}

/** The answer of a successful REST call (`stat: ok` and the method's fields). */
export type FlickrAnswer = Record<string, unknown>;

const FLICKR_HOSTS: Array<[RegExp, keyof FlickrConfig]> = [
  [/^https:\/\/api\.flickr\.com\/services\/rest/, 'FLICKR_API_URL'],
  [/^https:\/\/up\.flickr\.com\/services\/upload/, 'FLICKR_UPLOAD_URL'],
  [/^https:\/\/www\.flickr\.com\/services\/oauth/, 'FLICKR_OAUTH_URL'],
];

/**
 * flickr-sdk signs over Flickr's real URLs (hard-coded); this transport sends the
 * signed request to the configured base URL instead and bounds each exchange by
 * FLICKR_TIMEOUT_MS. With the default configuration nothing is rewritten.
 *
 * It sends with undici's `request` on a keep-alive pool of its own, not `fetch` with
 * `AbortSignal.timeout` (issue 15): that signal, and whatever listens on it, stays
 * reachable until its timer fires, FLICKR_TIMEOUT_MS after a call that took
 * milliseconds, and fetch also registers every signal in a FinalizationRegistry that
 * only a full GC clears. Here the one deadline per exchange is cleared the moment the
 * body is in, and `request` does less per call than the WHATWG fetch machinery (with
 * the envelope's KeyObjects, the gateway's CPU per uncached call fell from 2.1 to
 * 1.8 ms in bench/ (4); its young-generation GC survival did not change measurably).
 */
class ConfiguredTransport extends FetchTransport {
  private readonly agent: Agent;

  constructor(private readonly config: FlickrConfig) {
    super();
    this.agent = new Agent();
  }

  override async fetch(url: string, init: RequestInit): Promise<Response> {
    let target = url;
    for (const [pattern, setting] of FLICKR_HOSTS) {
      const m = pattern.exec(url);
      if (m) target = String(this.config[setting]) + url.slice(m[0].length);
    }
    let body: Buffer | undefined;
    const headers: Record<string, string> = {};
    if (init.body != null) {
      // flickr-sdk posts a FormData: encoded by the platform's own multipart encoder, as fetch would.
      const encoded = new Response(init.body as ConstructorParameters<typeof Response>[0]);
      body = Buffer.from(await encoded.arrayBuffer());
      headers['content-type'] = encoded.headers.get('content-type') ?? 'application/octet-stream';
    }
    // One deadline for the whole exchange (headers and body). undici's request drops its listener from the signal
    // when the exchange ends, so nothing outlives the call; the timer is cleared the moment the body is in.
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.config.FLICKR_TIMEOUT_MS);
    let statusCode: number;
    let responseHeaders: Record<string, string | string[] | undefined>;
    let payload: Buffer;
    try {
      const res = await request(target, { method: (init.method ?? 'GET') as Dispatcher.HttpMethod, headers, body, dispatcher: this.agent, signal: controller.signal });
      statusCode = res.statusCode;
      responseHeaders = res.headers;
      payload = await readCapped(res.body, MAX_ANSWER_BYTES);
    } catch (error) {
      throw controller.signal.aborted ? new DOMException('Flickr did not answer in time', 'TimeoutError') : error;
    } finally {
      clearTimeout(timer);
    }
    // A real Response (what flickr-sdk parses; toUpstreamError reads its status), its body already in.
    const answer = new Response(NULL_BODY_STATUS.has(statusCode) ? null : payload, { status: statusCode, headers: toHeaders(responseHeaders) });
    if (!answer.ok) throw new Error(`HTTP ${statusCode}`, { cause: answer });
    return answer;
  }

  /** Closes the pool's keep-alive connections (at shutdown). */
  close(): Promise<void> {
    return this.agent.close();
  }
}

/**
 * The largest answer read from Flickr. Its REST answers are kilobytes (a 500-photo search page with extras is well
 * under a megabyte); an upstream that sends more is broken or hostile, and buffering it whole could exhaust the
 * process's memory.
 */
export const MAX_ANSWER_BYTES = 16 * 1024 * 1024;

/** Reads `body` whole, or fails (and stops reading) once it passes `max` bytes. */
async function readCapped(body: Dispatcher.ResponseData['body'], max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) {
      body.destroy();
      throw new FlickrUpstreamError('http', `Flickr's answer exceeded ${max} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

/** Statuses whose Response must have no body (the Response constructor refuses one). */
const NULL_BODY_STATUS = new Set([204, 205, 304]);

function toHeaders(raw: Record<string, string | string[] | undefined>): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else if (value !== undefined) headers.set(name, value);
  }
  return headers;
}

/**
 * Adapter over Flickr's REST and OAuth endpoints through the official flickr-sdk
 * (it does the OAuth 1.0a HMAC-SHA1 signing). No rules here: every failure comes
 * out as a FlickrUpstreamError for the service to interpret.
 */
@Injectable()
export class FlickrClient implements OnApplicationShutdown {
  private readonly transport: ConfiguredTransport;

  constructor(private readonly config: FlickrConfig) {
    this.transport = new ConfiguredTransport(config);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.transport.close();
  }

  /** The gateway's own app (FLICKR_CONSUMER_KEY/SECRET): what every exchange is signed with unless given another. */
  get gatewayConsumer(): FlickrConsumer {
    return { consumerKey: this.config.FLICKR_CONSUMER_KEY ?? '', consumerSecret: this.config.FLICKR_CONSUMER_SECRET ?? '' };
  }

  /** Calls one REST method as the user, signed with the token's app; flickr-sdk POSTs write methods. */
  async call(token: FlickrUserToken, method: string, params: Record<string, string>): Promise<FlickrAnswer> {
    const consumer = pick(token.consumer ?? this.gatewayConsumer);
    const { flickr } = createFlickr({ ...consumer, oauthToken: token.oauthToken, oauthTokenSecret: token.oauthTokenSecret }, this.transport);
    return this.translate(() => flickr(method as 'flickr.test.login', params) as Promise<FlickrAnswer>);
  }

  /** Step 1 of OAuth: a request token of `consumer`'s app for `callback` (`oob` for the PIN flow). */
  async requestToken(callback: string, consumer: FlickrConsumer = this.gatewayConsumer): Promise<{ requestToken: string; requestTokenSecret: string }> {
    const { oauth } = createFlickr({ ...pick(consumer), oauthToken: false, oauthTokenSecret: false }, this.transport);
    return this.translate(() => oauth.request(callback));
  }

  /** The URL the user opens to approve; Flickr's own, never rewritten... unless configured otherwise. */
  authorizeUrl(requestToken: string, perms: 'read' | 'write' | 'delete'): string {
    const url = new URL(`${this.config.FLICKR_OAUTH_URL}/authorize`);
    url.searchParams.set('oauth_token', requestToken);
    url.searchParams.set('perms', perms);
    return url.href;
  }

  /**
   * Step 3 of OAuth: exchanges the approved request token and verifier for the user's access token,
   * signed with the app that obtained the request token.
   */
  async accessToken(
    requestToken: string,
    requestTokenSecret: string,
    verifier: string,
    consumer: FlickrConsumer = this.gatewayConsumer,
  ): Promise<{ nsid: string; username: string; fullname: string; oauthToken: string; oauthTokenSecret: string }> {
    const { oauth } = createFlickr({ ...pick(consumer), oauthToken: requestToken, oauthTokenSecret: requestTokenSecret }, this.transport);
    return this.translate(() => oauth.verify(verifier));
  }

  private async translate<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw toUpstreamError(error);
    }
  }
}

/** Only the two credential fields (a caller may pass a richer object, e.g. a resolved app). */
const pick = (c: FlickrConsumer): FlickrConsumer => ({ consumerKey: c.consumerKey, consumerSecret: c.consumerSecret });

/** Maps what flickr-sdk and fetch throw into one error shape. */
export function toUpstreamError(error: unknown): FlickrUpstreamError {
  if (error instanceof FlickrUpstreamError) return error;
  const err = error as Error & { cause?: unknown; name?: string };
  if (err?.name === 'TimeoutError' || err?.name === 'AbortError') return new FlickrUpstreamError('timeout', 'Flickr did not answer in time');
  const cause = err?.cause;
  if (cause instanceof Response) return new FlickrUpstreamError('http', `Flickr answered HTTP ${cause.status}`, cause.status);
  if (cause && typeof cause === 'object' && (cause as { stat?: unknown }).stat === 'fail') {
    const fail = cause as { code?: number; message?: string };
    return new FlickrUpstreamError('fail', fail.message ?? 'Flickr refused the call', 200, Number(fail.code));
  }
  return new FlickrUpstreamError('network', 'Flickr could not be reached');
}
