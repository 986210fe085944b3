import type { FakeFlickr } from '../../../tools/sandbox-flickr/fake-flickr.server';

/** Env pointing the gateway at a fake Flickr that checks signatures over Flickr's real URLs. */
export function fakeFlickrEnv(fake: FakeFlickr): Record<string, string> {
  return {
    FLICKR_CONSUMER_KEY: fake.consumerKey,
    FLICKR_CONSUMER_SECRET: fake.consumerSecret,
    FLICKR_API_URL: `${fake.url}/services/rest`,
    FLICKR_UPLOAD_URL: `${fake.url}/services/upload`,
    FLICKR_OAUTH_URL: `${fake.url}/services/oauth`,
    FLICKR_RETRY_BASE_MS: '5',
  };
}

/** What a person does on Flickr's authorize page: approves as `nsid`; returns the page or the redirect. */
export async function approveOnFlickr(authorizeUrl: string, nsid: string): Promise<Response> {
  const url = new URL(authorizeUrl);
  url.searchParams.set('fake_user', nsid);
  return fetch(url, { redirect: 'manual' });
}

/** The PIN Flickr shows in OOB mode. */
export async function pinFrom(page: Response): Promise<string> {
  const m = /<span class="code">([0-9-]+)<\/span>/.exec(await page.text());
  if (!m) throw new Error('no PIN on the authorize page');
  return m[1];
}

/**
 * Connects `userId` through the gateway's OOB flow (start → approve on the
 * fake → verify) with `apiKey`; returns the verify answer.
 */
export async function connectViaOob(
  gatewayUrl: string,
  apiKey: string,
  userId: string,
  options: { nsid?: string; perms?: 'read' | 'write' | 'delete' } = {},
): Promise<Record<string, unknown>> {
  const headers = { 'x-api-key': apiKey, 'content-type': 'application/json' };
  const start = await fetch(`${gatewayUrl}/v1/oauth/start`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ user_id: userId, mode: 'oob', perms: options.perms ?? 'write' }),
  });
  if (start.status !== 201) throw new Error(`start answered ${start.status}: ${await start.text()}`);
  const started = (await start.json()) as { oauth_token: string; authorize_url: string };
  const pin = await pinFrom(await approveOnFlickr(started.authorize_url, options.nsid ?? '12345678@N00'));
  const verify = await fetch(`${gatewayUrl}/v1/oauth/verify`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ user_id: userId, oauth_token: started.oauth_token, verifier: pin }),
  });
  if (verify.status !== 200) throw new Error(`verify answered ${verify.status}: ${await verify.text()}`);
  return (await verify.json()) as Record<string, unknown>;
}
