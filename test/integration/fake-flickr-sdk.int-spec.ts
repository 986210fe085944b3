import { createFlickr } from 'flickr-sdk';
import { FakeFlickr, REAL_FLICKR_ORIGINS } from '../../tools/sandbox-flickr/fake-flickr.server';
import { RedirectingTransport } from '../support/flickr-sdk-transport';

/**
 * Proves the fake is faithful: Flickr's own SDK, which signs over the real
 * Flickr URLs, talks to it through a swapped transport, and the fake checks
 * each signature against the URL the SDK signed.
 */
describe('the fake Flickr, driven by the official flickr-sdk', () => {
  let fake: FakeFlickr;
  let transport: RedirectingTransport;
  beforeAll(async () => {
    fake = await FakeFlickr.start({ origins: REAL_FLICKR_ORIGINS });
    transport = new RedirectingTransport(fake.url);
  });
  afterAll(async () => fake?.close());

  async function connect(perms: 'read' | 'write' = 'write') {
    const consumer = { consumerKey: fake.consumerKey, consumerSecret: fake.consumerSecret };
    const { oauth } = createFlickr({ ...consumer, oauthToken: false, oauthTokenSecret: false }, transport);
    const { requestToken, requestTokenSecret } = await oauth.request('oob');
    const authorize = new URL(oauth.authorizeUrl(requestToken, perms));
    expect(authorize.origin + authorize.pathname).toBe('https://www.flickr.com/services/oauth/authorize');
    expect(Object.fromEntries(authorize.searchParams)).toEqual({ oauth_token: requestToken, perms });
    const verifier = fake.approve(requestToken, '12345678@N00', perms);
    expect(verifier).toMatch(/^\d{3}-\d{3}-\d{3}$/);
    const pending = createFlickr({ ...consumer, oauthToken: requestToken, oauthTokenSecret: requestTokenSecret }, transport);
    const access = await pending.oauth.verify(verifier);
    return { ...access, services: createFlickr({ ...consumer, oauthToken: access.oauthToken, oauthTokenSecret: access.oauthTokenSecret }, transport) };
  }

  it('completes the out-of-band OAuth flow and calls flickr.test.login', async () => {
    const { nsid, username, services } = await connect();
    expect(nsid).toBe('12345678@N00');
    expect(username).toBe('alice');
    const login = await services.flickr('flickr.test.login', {});
    expect(login).toMatchObject({ stat: 'ok', user: { id: '12345678@N00', username: { _content: 'alice' } } });
  });

  it('accepts a signed upload (photo excluded from the signature) and finds it by search', async () => {
    const { services } = await connect('write');
    const photo = new Blob([Buffer.from('fake jpeg bytes')], { type: 'image/jpeg' });
    const uploaded = await services.upload(photo, { title: 'Sunset over the bay', tags: 'sea sunset' });
    expect(uploaded.id).toMatch(/^\d+$/);
    const found = await services.flickr('flickr.photos.search', { user_id: 'me', text: 'Sunset' });
    expect(found.photos.photo.map((p: { id: string }) => p.id)).toContain(uploaded.id);
  });

  it('rejects a signature made with the wrong secret (code 96) and a revoked token (code 98)', async () => {
    const { oauthToken, services } = await connect();
    const forged = createFlickr(
      { consumerKey: fake.consumerKey, consumerSecret: 'not-the-secret', oauthToken, oauthTokenSecret: 'nope' },
      transport,
    );
    await expect(forged.flickr('flickr.test.login', {})).rejects.toMatchObject({ cause: { stat: 'fail', code: 96 } });
    fake.revoke(oauthToken);
    await expect(services.flickr('flickr.test.login', {})).rejects.toMatchObject({ cause: { stat: 'fail', code: 98 } });
  });

  it('refuses a verifier twice and an unknown method', async () => {
    const consumer = { consumerKey: fake.consumerKey, consumerSecret: fake.consumerSecret };
    const { oauth } = createFlickr({ ...consumer, oauthToken: false, oauthTokenSecret: false }, transport);
    const { requestToken, requestTokenSecret } = await oauth.request('oob');
    const verifier = fake.approve(requestToken);
    const pending = createFlickr({ ...consumer, oauthToken: requestToken, oauthTokenSecret: requestTokenSecret }, transport);
    await pending.oauth.verify(verifier);
    await expect(pending.oauth.verify(verifier)).rejects.toThrow();
    const { services } = await connect();
    await expect(services.flickr('flickr.nope.nothing' as 'flickr.test.login', {})).rejects.toMatchObject({ cause: { code: 112 } });
  });

  it('injects faults: HTTP 429 and stat:fail codes', async () => {
    const { services } = await connect();
    fake.inject({ match: 'flickr.test.login', status: 429 });
    await expect(services.flickr('flickr.test.login', {})).rejects.toThrow();
    fake.inject({ match: 'flickr.test.login', code: 105 });
    await expect(services.flickr('flickr.test.login', {})).rejects.toMatchObject({ cause: { code: 105 } });
    await expect(services.flickr('flickr.test.login', {})).resolves.toMatchObject({ stat: 'ok' });
  });
});
