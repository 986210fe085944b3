import { FakeFlickr, REAL_FLICKR_ORIGINS } from '../../tools/sandbox-flickr/fake-flickr.server';
import { AUTH_TEST_ENV, createApiKey } from '../support/factories/api-key.factory';
import { fakeFlickrEnv } from '../support/factories/flickr.factory';
import { startTestApp, type TestApp } from '../support/test-app';

/** With OAUTH_CALLBACK_ENABLED off (the default), callback mode does not exist. */
describe('OAuth callback mode disabled', () => {
  let fake: FakeFlickr;
  let t: TestApp;
  beforeAll(async () => {
    fake = await FakeFlickr.start({ origins: REAL_FLICKR_ORIGINS });
    t = await startTestApp({ env: { ...AUTH_TEST_ENV, ...fakeFlickrEnv(fake), OAUTH_CALLBACK_ENABLED: 'false' } });
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  it('GET /v1/oauth/callback is 404 problem+json, and start refuses mode callback without calling Flickr', async () => {
    const cb = await fetch(`${t.url}/v1/oauth/callback?oauth_token=abc&oauth_verifier=def`);
    expect(cb.status).toBe(404);
    expect(cb.headers.get('content-type')).toContain('application/problem+json');
    const key = (await createApiKey(t.app)).api_key;
    const start = await fetch(`${t.url}/v1/oauth/start`, {
      method: 'POST',
      headers: { 'x-api-key': key, 'content-type': 'application/json' },
      body: JSON.stringify({ user_id: 'u1', mode: 'callback', perms: 'read' }),
    });
    expect(start.status).toBe(400);
    expect(await start.json()).toMatchObject({ type: 'urn:flickr-gateway:problem:oauth-callback-disabled' });
    expect(fake.requests).toHaveLength(0);
  });
});
