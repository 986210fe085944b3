import { createFlickr, FetchTransport, type Transport } from 'flickr-sdk';
import type { FakeFlickr } from '../../tools/sandbox-flickr/fake-flickr.server';

/**
 * flickr-sdk's fetch transport, sending to the fake what the SDK signed for
 * the real Flickr URLs (the SDK computes each signature over
 * https://{www,api,up}.flickr.com before the transport sees the request), so a
 * fake started with REAL_FLICKR_ORIGINS checks real signatures.
 */
export class RedirectingTransport extends FetchTransport implements Transport {
  constructor(private readonly target: string) {
    super();
  }

  private redirect(url: string): string {
    return url.replace(/^https:\/\/(www|api|up)\.flickr\.com/, this.target);
  }

  override get(url: string, params?: Parameters<FetchTransport['get']>[1]) {
    return super.get(this.redirect(url), params);
  }

  override post(url: string, params?: Parameters<FetchTransport['post']>[1]) {
    return super.post(this.redirect(url), params);
  }
}

/** An untyped REST call (the SDK's typings know each method's parameters; tests pass any). */
export type RestCaller = (method: string, params?: Record<string, string>) => Promise<Record<string, any>>;

/**
 * Runs flickr-sdk's out-of-band OAuth flow against the fake with the app
 * `consumer`, approves as `nsid` with `perms`, and returns the access token
 * and a REST caller signing with it.
 */
export async function connectWithSdk(
  fake: FakeFlickr,
  transport: Transport,
  options: { consumerKey?: string; consumerSecret?: string; nsid?: string; perms?: 'read' | 'write' | 'delete' } = {},
) {
  const consumer = { consumerKey: options.consumerKey ?? fake.consumerKey, consumerSecret: options.consumerSecret ?? fake.consumerSecret };
  const { oauth } = createFlickr({ ...consumer, oauthToken: false, oauthTokenSecret: false }, transport);
  const { requestToken, requestTokenSecret } = await oauth.request('oob');
  const verifier = fake.approve(requestToken, options.nsid ?? '12345678@N00', options.perms ?? 'write');
  const pending = createFlickr({ ...consumer, oauthToken: requestToken, oauthTokenSecret: requestTokenSecret }, transport);
  const access = await pending.oauth.verify(verifier);
  const services = createFlickr({ ...consumer, oauthToken: access.oauthToken, oauthTokenSecret: access.oauthTokenSecret }, transport);
  const call = services.flickr as unknown as RestCaller;
  return { ...access, ...consumer, services, call };
}
