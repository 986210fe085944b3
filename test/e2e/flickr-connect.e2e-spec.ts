import { randomBytes } from 'node:crypto';
import { getConnectionToken } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import { OAuthPendingSweeper } from '../../src/oauth/oauth-pending.sweeper';
import { FakeFlickr, REAL_FLICKR_ORIGINS } from '../../tools/sandbox-flickr/fake-flickr.server';
import { createTransitKeys, useOpenBao } from '../integration/kms-env';
import { AUTH_TEST_ENV, createApiKey } from '../support/factories/api-key.factory';
import { approveOnFlickr, connectViaOob, fakeFlickrEnv, pinFrom } from '../support/factories/flickr.factory';
import { startTestApp, type TestApp } from '../support/test-app';

const suffix = randomBytes(4).toString('hex');
const kmsEnv = useOpenBao(suffix);

/** The connection flow and the proxy through the whole gateway: real FerretDB, Redis, OpenBao; fake Flickr. */
describe('connecting Flickr accounts and calling Flickr through the gateway', () => {
  let fake: FakeFlickr;
  let t: TestApp;
  let apiKey: string;
  let db: Connection;
  const json = { 'content-type': 'application/json' };

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${t.url}${path}`, { method: 'POST', headers: { 'x-api-key': apiKey, ...json, ...headers }, body: JSON.stringify(body) });
  const get = (path: string) => fetch(`${t.url}${path}`, { headers: { 'x-api-key': apiKey } });
  const stateOf = async (userId: string) => ((await get(`/v1/users/${userId}`).then((r) => r.json())) as { flickr: { state: string } }).flickr.state;
  const start = async (userId: string, mode = 'oob', extra: Record<string, unknown> = {}) => {
    const res = await post('/v1/oauth/start', { user_id: userId, mode, perms: 'write', ...extra });
    expect(res.status).toBe(201);
    return (await res.json()) as { oauth_token: string; authorize_url: string; expires_at: string; state?: string };
  };

  beforeAll(async () => {
    fake = await FakeFlickr.start({ origins: REAL_FLICKR_ORIGINS });
    fake.addUser({ nsid: '99999999@N01', username: 'bob', fullname: 'Bob Example' });
    await createTransitKeys();
    t = await startTestApp({
      env: {
        ...kmsEnv,
        ...AUTH_TEST_ENV,
        ...fakeFlickrEnv(fake),
        OAUTH_CALLBACK_ENABLED: 'true',
        OAUTH_CALLBACK_URL: 'https://gateway.example.test/v1/oauth/callback',
      },
    });
    apiKey = (await createApiKey(t.app)).api_key;
    db = t.app.get<Connection>(getConnectionToken());
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  it('OOB: start → PIN → verify → flickr.test.login through the proxy returns the user', async () => {
    const started = await start('alice-1');
    expect(started.authorize_url).toContain(`${fake.url}/services/oauth/authorize?oauth_token=${started.oauth_token}`);
    expect(started.authorize_url).toContain('perms=write');
    expect(new Date(started.expires_at).getTime() - Date.now()).toBeGreaterThan(14 * 60_000);

    const pin = await pinFrom(await approveOnFlickr(started.authorize_url, '12345678@N00'));
    const verified = await post('/v1/oauth/verify', { user_id: 'alice-1', oauth_token: started.oauth_token, verifier: pin });
    expect(verified.status).toBe(200);
    expect(await verified.json()).toEqual({ user_id: 'alice-1', status: 'connected', nsid: '12345678@N00', username: 'alice' });

    const login = await post('/v1/users/alice-1/flickr/flickr.test.login', {});
    expect(login.status).toBe(200);
    expect(await login.json()).toMatchObject({ stat: 'ok', user: { id: '12345678@N00', username: { _content: 'alice' } } });

    const user = await get('/v1/users/alice-1');
    const text = await user.text();
    expect(JSON.parse(text).flickr).toMatchObject({ state: 'connected', nsid: '12345678@N00', username: 'alice', perms: 'write' });
    // Never a token or secret in the answer.
    for (const secret of fake.issuedSecrets()) expect(text).not.toContain(secret);
  });

  it('a second verify with the same PIN is refused', async () => {
    const started = await start('alice-2');
    const pin = await pinFrom(await approveOnFlickr(started.authorize_url, '12345678@N00'));
    const body = { user_id: 'alice-2', oauth_token: started.oauth_token, verifier: pin };
    expect((await post('/v1/oauth/verify', body)).status).toBe(200);
    const again = await post('/v1/oauth/verify', body);
    expect(again.status).toBe(400);
    expect(again.headers.get('content-type')).toContain('application/problem+json');
    expect(await again.json()).toMatchObject({ type: 'urn:flickr-gateway:problem:oauth-request-invalid' });
  });

  it('two concurrent verifies of one request: exactly one reaches Flickr and succeeds', async () => {
    const started = await start('alice-3');
    const pin = await pinFrom(await approveOnFlickr(started.authorize_url, '12345678@N00'));
    const before = fake.count('/services/oauth/access_token');
    const body = { user_id: 'alice-3', oauth_token: started.oauth_token, verifier: pin };
    const statuses = (await Promise.all(Array.from({ length: 8 }, () => post('/v1/oauth/verify', body)))).map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 400)).toHaveLength(7);
    expect(fake.count('/services/oauth/access_token') - before).toBe(1);
  });

  it('a wrong PIN is rejected and the user may type it again', async () => {
    const started = await start('alice-4');
    const pin = await pinFrom(await approveOnFlickr(started.authorize_url, '12345678@N00'));
    const wrong = pin === '111-111-111' ? '222-222-222' : '111-111-111';
    const rejected = await post('/v1/oauth/verify', { user_id: 'alice-4', oauth_token: started.oauth_token, verifier: wrong });
    expect(rejected.status).toBe(400);
    expect(await rejected.json()).toMatchObject({ type: 'urn:flickr-gateway:problem:oauth-verifier-rejected', attemptsLeft: 4 });
    expect((await post('/v1/oauth/verify', { user_id: 'alice-4', oauth_token: started.oauth_token, verifier: pin })).status).toBe(200);
  });

  it('an expired pending request token is refused, and the sweeper removes it', async () => {
    const started = await start('alice-5');
    const pin = await pinFrom(await approveOnFlickr(started.authorize_url, '12345678@N00'));
    const pending = db.collection('oauth_pending');
    await pending.updateOne({ _id: started.oauth_token as never }, { $set: { expires_at: new Date(Date.now() - 1000) } });
    const res = await post('/v1/oauth/verify', { user_id: 'alice-5', oauth_token: started.oauth_token, verifier: pin });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ type: 'urn:flickr-gateway:problem:oauth-request-invalid' });
    expect(await stateOf('alice-5')).toBe('not_connected');
    // MongoDB's TTL index would drop it; FerretDB cannot create TTL indexes, so the sweeper does.
    expect(await pending.countDocuments({ _id: started.oauth_token as never })).toBe(1);
    expect(await t.app.get(OAuthPendingSweeper).sweep()).toBeGreaterThanOrEqual(1);
    expect(await pending.countDocuments({ _id: started.oauth_token as never })).toBe(0);
  });

  it("pending request secrets are stored encrypted: the raw documents contain none of Flickr's secrets", async () => {
    await start('alice-6');
    const raw = JSON.stringify(await db.collection('oauth_pending').find({}).toArray());
    expect(raw).toContain('"enc"');
    const tokens = JSON.stringify(await db.collection('tokens').find({}).toArray());
    const secrets = fake.issuedSecrets();
    expect(secrets.length).toBeGreaterThan(5);
    for (const secret of secrets) {
      expect(raw).not.toContain(secret);
      expect(tokens).not.toContain(secret);
    }
  });

  it("another client cannot verify, read or call Flickr for this client's user", async () => {
    await connectViaOob(t.url, apiKey, 'alice-7');
    const other = (await createApiKey(t.app)).api_key;
    const h = { 'x-api-key': other, ...json };
    expect((await fetch(`${t.url}/v1/users/alice-7`, { headers: h })).status).toBe(404);
    const call = await fetch(`${t.url}/v1/users/alice-7/flickr/flickr.test.login`, { method: 'POST', headers: h, body: '{}' });
    expect(call.status).toBe(404);
    // User ids are per client: the other client's alice-7 is its own, new, unconnected user.
    const startOther = await fetch(`${t.url}/v1/oauth/start`, { method: 'POST', headers: h, body: JSON.stringify({ user_id: 'alice-7', mode: 'oob', perms: 'read' }) });
    expect(startOther.status).toBe(201);
    expect(((await (await fetch(`${t.url}/v1/users/alice-7`, { headers: h })).json()) as { flickr: { state: string } }).flickr.state).toBe('not_connected');
    expect(await stateOf('alice-7')).toBe('connected');
  });

  it('callback mode (flag on): the callback sends the browser to the return URL; the initiator completes with its state', async () => {
    const started = await start('carol-1', 'callback', { return_url: 'https://app.example.test/done' });
    expect(started.state).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const redirect = await approveOnFlickr(started.authorize_url, '99999999@N01');
    expect(redirect.status).toBe(302);
    const back = new URL(redirect.headers.get('location') as string);
    expect(back.origin + back.pathname).toBe('https://gateway.example.test/v1/oauth/callback');
    // The browser follows the redirect to this gateway (no API key: it is the user's browser).
    const cb = await fetch(`${t.url}/v1/oauth/callback${back.search}`, { redirect: 'manual' });
    expect(cb.status).toBe(303);
    expect(cb.headers.get('location')).toBe(`https://app.example.test/done?oauth_token=${started.oauth_token}&user_id=carol-1&status=approved`);
    // Approved is not connected: nothing happens until the initiator presents its state.
    expect(await stateOf('carol-1')).toBe('not_connected');
    const done = await post('/v1/oauth/complete', { user_id: 'carol-1', oauth_token: started.oauth_token, state: started.state });
    expect(done.status).toBe(200);
    expect(await done.json()).toEqual({ user_id: 'carol-1', status: 'connected', nsid: '99999999@N01', username: 'bob' });
    const user = (await get('/v1/users/carol-1').then((r) => r.json())) as { flickr: unknown };
    expect(user.flickr).toMatchObject({ state: 'connected', nsid: '99999999@N01', username: 'bob' });
    // Neither the callback nor the completion can be replayed.
    expect((await fetch(`${t.url}/v1/oauth/callback${back.search}`, { redirect: 'manual' })).status).toBe(400);
    expect((await post('/v1/oauth/complete', { user_id: 'carol-1', oauth_token: started.oauth_token, state: started.state })).status).toBe(400);
  });

  it('callback mode needs a return_url', async () => {
    const res = await post('/v1/oauth/start', { user_id: 'carol-2', mode: 'callback', perms: 'read' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ type: 'urn:flickr-gateway:problem:validation-failed' });
  });

  it('an unknown method is 400 and never reaches Flickr; bad parameters are 400', async () => {
    await connectViaOob(t.url, apiKey, 'dave-1');
    const before = fake.requests.length;
    const unknown = await post('/v1/users/dave-1/flickr/flickr.people.delete', {});
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({ type: 'urn:flickr-gateway:problem:unknown-flickr-method' });
    const reserved = await post('/v1/users/dave-1/flickr/flickr.photos.search', { oauth_token: 'x', nested: { a: 1 } });
    expect(reserved.status).toBe(400);
    expect(fake.requests.length).toBe(before);
  });

  it('a user without a connection gets 409', async () => {
    expect((await fetch(`${t.url}/v1/users/erin-1`, { method: 'PUT', headers: { 'x-api-key': apiKey } })).status).toBe(200);
    const res = await post('/v1/users/erin-1/flickr/flickr.test.login', {});
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ type: 'urn:flickr-gateway:problem:flickr-not-connected' });
  });

  it('Flickr errors come back as problems carrying the Flickr code', async () => {
    await connectViaOob(t.url, apiKey, 'dave-2');
    const res = await post('/v1/users/dave-2/flickr/flickr.photos.getInfo', { photo_id: '404404' });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ type: 'urn:flickr-gateway:problem:flickr-error', flickrCode: 1 });
    fake.inject({ match: 'flickr.photos.getInfo', status: 502, times: 5 });
    const bad = await post('/v1/users/dave-2/flickr/flickr.photos.getInfo', { photo_id: '1' }, { 'cache-control': 'no-cache' });
    expect(bad.status).toBe(502);
    expect(await bad.json()).toMatchObject({ upstreamStatus: 502 });
  });

  it('cache: a second identical read does not reach Flickr, and cache_hit_rate moves; no-cache bypasses', async () => {
    await connectViaOob(t.url, apiKey, 'frank-1');
    const rate = async () => {
      const text = await fetch(`${t.url}/metrics`).then((r) => r.text());
      return Number(/^cache_hit_rate (\S+)$/m.exec(text)?.[1] ?? NaN);
    };
    const rateBefore = await rate();
    const params = { text: 'sunset', per_page: 5 };
    const before = fake.count('flickr.photos.search');
    const first = await post('/v1/users/frank-1/flickr/flickr.photos.search', params).then((r) => r.json());
    // Same parameters in another order: the same cache key.
    const second = await post('/v1/users/frank-1/flickr/flickr.photos.search', { per_page: 5, text: 'sunset' }).then((r) => r.json());
    expect(second).toEqual(first);
    expect(fake.count('flickr.photos.search') - before).toBe(1);
    expect(await rate()).toBeGreaterThan(Number.isNaN(rateBefore) ? 0 : rateBefore);
    await post('/v1/users/frank-1/flickr/flickr.photos.search', params, { 'cache-control': 'no-cache' });
    expect(fake.count('flickr.photos.search') - before).toBe(2);
  });

  it('a revoked Flickr token gives 409 (not 401: the gateway key is fine) with the re-authorisation type and flips the connection state', async () => {
    await connectViaOob(t.url, apiKey, 'gina-1', { nsid: '99999999@N01' });
    expect(fake.revokeUser('99999999@N01')).toBeGreaterThan(0);
    const res = await post('/v1/users/gina-1/flickr/flickr.people.getInfo', { user_id: '99999999@N01' });
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({
      type: 'urn:flickr-gateway:problem:flickr-reauthorization-required',
      flickrCode: 98,
      connection_state: 'reauthorization_required',
    });
    expect(await stateOf('gina-1')).toBe('reauthorization_required');
    // From now on the gateway answers 409 itself, without spending Flickr's budget.
    const before = fake.requests.length;
    expect((await post('/v1/users/gina-1/flickr/flickr.test.login', {})).status).toBe(409);
    expect(fake.requests.length).toBe(before);
    // Connecting again restores it.
    await connectViaOob(t.url, apiKey, 'gina-1', { nsid: '99999999@N01' });
    expect(await stateOf('gina-1')).toBe('connected');
  });

  it('DELETE /v1/users/:user_id erases the user and its stored token', async () => {
    await connectViaOob(t.url, apiKey, 'hank-1');
    // Token records are keyed by the scoped user, `<client_id>/<user_id>`.
    expect(await db.collection('tokens').countDocuments({ user_id: /\/hank-1$/ })).toBe(1);
    const del = await fetch(`${t.url}/v1/users/hank-1`, { method: 'DELETE', headers: { 'x-api-key': apiKey } });
    expect(del.status).toBe(204);
    expect(await db.collection('tokens').countDocuments({ user_id: /\/hank-1$/ })).toBe(0);
    expect((await get('/v1/users/hank-1')).status).toBe(404);
    // Idempotent: erasing again (or erasing an id that never existed) is the same 204.
    expect((await fetch(`${t.url}/v1/users/hank-1`, { method: 'DELETE', headers: { 'x-api-key': apiKey } })).status).toBe(204);
  });
});
