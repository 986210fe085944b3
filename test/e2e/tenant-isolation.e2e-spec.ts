import { randomBytes } from 'node:crypto';
import { getConnectionToken } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import type { IssuedApiKey } from '../../src/auth/api-key.view';
import { formatApiKey, newKeyId, newSecret } from '../../src/auth/api-key.format';
import { UploadJobRepository } from '../../src/uploads/upload-job.repository';
import { UploadStagingStore } from '../../src/uploads/upload-staging.store';
import { FakeFlickr, REAL_FLICKR_ORIGINS } from '../../tools/sandbox-flickr/fake-flickr.server';
import { AUTH_TEST_ENV, createApiKey } from '../support/factories/api-key.factory';
import { approveOnFlickr, connectViaOob, pinFrom } from '../support/factories/flickr.factory';
import { waitFor } from '../support/processes';
import { startTestApp, type TestApp } from '../support/test-app';
import { fastUploadEnv, sendUpload, startWorker } from '../support/uploads';

const ALICE = '12345678@N00';
const BOB = '99999999@N01';
const json = { 'content-type': 'application/json' };

interface Answer {
  status: number;
  type: string | null;
  body: unknown;
}

/** Status, content type and body without what differs per request (ids, times, fresh tokens). */
async function answerOf(res: Response): Promise<Answer> {
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: compared as text
  }
  return { status: res.status, type: res.headers.get('content-type'), body: scrub(body) };
}

const VOLATILE = new Set(['instance', 'requestId', 'created_at', 'oauth_token', 'authorize_url', 'expires_at', 'user_id']);
function scrub(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(scrub);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).filter(([k]) => !VOLATILE.has(k)).map(([k, v]) => [k, scrub(v)]));
  }
  return value;
}

/**
 * A hostile second tenant against the real app (FerretDB, Redis, local KMS;
 * fake Flickr): user ids are per client, so nothing B does with A's user ids
 * reaches, reveals, squats or drains A's users.
 */
describe('tenant isolation: per-client user ids, cascading erase, bound OAuth flows', () => {
  let fake: FakeFlickr;
  let t: TestApp;
  let a: IssuedApiKey;
  let b: IssuedApiKey;
  let db: Connection;

  const call = (key: IssuedApiKey, method: string, path: string, body?: unknown) =>
    fetch(`${t.url}${path}`, {
      method,
      headers: { 'x-api-key': key.api_key, ...(body !== undefined ? json : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
  const stateOf = async (key: IssuedApiKey, userId: string) =>
    ((await (await call(key, 'GET', `/v1/users/${userId}`)).json()) as { flickr?: { state: string; nsid?: string } }).flickr;

  beforeAll(async () => {
    fake = await FakeFlickr.start({ origins: REAL_FLICKR_ORIGINS });
    fake.addUser({ nsid: BOB, username: 'bob', fullname: 'Bob Example' });
    t = await startTestApp({
      env: {
        ...fastUploadEnv(fake),
        OAUTH_CALLBACK_ENABLED: 'true',
        OAUTH_CALLBACK_URL: 'https://gateway.example.test/v1/oauth/callback',
      },
    });
    a = await createApiKey(t.app);
    b = await createApiKey(t.app);
    db = t.app.get<Connection>(getConnectionToken());
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  it("B's answers for A's user id equal its answers for a never-used id, on every route that takes a user_id", async () => {
    await connectViaOob(t.url, a.api_key, 'probe-a', { nsid: ALICE });
    const pending = (await (await call(a, 'POST', '/v1/oauth/start', { user_id: 'probe-a', mode: 'oob', perms: 'read' })).json()) as { oauth_token: string; authorize_url: string };
    const pin = await pinFrom(await approveOnFlickr(pending.authorize_url, ALICE));
    const fresh = () => `never-${randomBytes(4).toString('hex')}`;

    // Read-only probes first (they must not create anything for B).
    const probes: Array<(id: string) => Promise<Response>> = [
      (id) => call(b, 'GET', `/v1/users/${id}`),
      (id) => call(b, 'POST', `/v1/users/${id}/flickr/flickr.test.login`, {}),
      (id) => call(b, 'POST', `/v1/users/${id}/flickr/flickr.photos.search`, { text: 'x' }),
      (id) => call(b, 'POST', '/v1/oauth/verify', { user_id: id, oauth_token: pending.oauth_token, verifier: pin }),
      (id) => call(b, 'POST', '/v1/oauth/complete', { user_id: id, oauth_token: pending.oauth_token, state: 'A'.repeat(43) }),
    ];
    for (const probe of probes) {
      const foreign = await answerOf(await probe('probe-a'));
      const unknown = await answerOf(await probe(fresh()));
      expect(foreign).toEqual(unknown);
      expect(foreign.status).toBe(404);
    }
    const upForeign = await sendUpload(t.url, b.api_key, 'probe-a', { bytes: 1024 });
    const upUnknown = await sendUpload(t.url, b.api_key, fresh(), { bytes: 1024 });
    expect([upForeign.status, scrub(upForeign.body)]).toEqual([upUnknown.status, scrub(upUnknown.body)]);
    expect(upForeign.status).toBe(404);
    // Erase is idempotent and scoped: the same 204, and A's user is untouched.
    const delForeign = await answerOf(await call(b, 'DELETE', '/v1/users/probe-a'));
    expect(delForeign).toEqual(await answerOf(await call(b, 'DELETE', `/v1/users/${fresh()}`)));
    expect(delForeign.status).toBe(204);
    expect(await stateOf(a, 'probe-a')).toMatchObject({ state: 'connected', nsid: ALICE });

    // Registering probes: B gets its own, new user either way (no 404 oracle, no squatting).
    const putForeign = await answerOf(await call(b, 'PUT', '/v1/users/probe-a'));
    expect(putForeign).toEqual(await answerOf(await call(b, 'PUT', `/v1/users/${fresh()}`)));
    expect(putForeign).toMatchObject({ status: 200, body: { flickr: { state: 'not_connected' } } });
    const startForeign = await answerOf(await call(b, 'POST', '/v1/oauth/start', { user_id: 'probe-a', mode: 'oob', perms: 'read' }));
    expect(startForeign).toEqual(await answerOf(await call(b, 'POST', '/v1/oauth/start', { user_id: fresh(), mode: 'oob', perms: 'read' })));
    expect(startForeign.status).toBe(201);
    // Now that B has a probe-a of its own, A's pending request is still not B's to complete.
    const stolen = await call(b, 'POST', '/v1/oauth/verify', { user_id: 'probe-a', oauth_token: pending.oauth_token, verifier: pin });
    expect(stolen.status).toBe(400);
    expect(await stolen.json()).toMatchObject({ type: 'urn:flickr-gateway:problem:oauth-request-invalid' });
    expect(await stateOf(b, 'probe-a')).toEqual({ state: 'not_connected' });
    expect(await stateOf(a, 'probe-a')).toMatchObject({ state: 'connected', nsid: ALICE });
  });

  it('both clients connect a user of the same name; each sees only its own data and cached answers', async () => {
    await connectViaOob(t.url, a.api_key, 'same-1', { nsid: ALICE });
    await connectViaOob(t.url, b.api_key, 'same-1', { nsid: BOB });
    expect(await stateOf(a, 'same-1')).toMatchObject({ state: 'connected', nsid: ALICE });
    expect(await stateOf(b, 'same-1')).toMatchObject({ state: 'connected', nsid: BOB });
    const login = async (key: IssuedApiKey) => ((await (await call(key, 'POST', '/v1/users/same-1/flickr/flickr.test.login', {})).json()) as { user: { id: string } }).user.id;
    const before = fake.count('flickr.test.login');
    expect(await login(a)).toBe(ALICE);
    expect(await login(b)).toBe(BOB);
    // Each client's second read is its own cache hit.
    expect(await login(a)).toBe(ALICE);
    expect(await login(b)).toBe(BOB);
    expect(fake.count('flickr.test.login') - before).toBe(2);
  });

  it("erase cascades: A's queued upload is cancelled and unstaged, its pending OAuth request and cached answers are gone; B's later user of that name gets none of it", async () => {
    await connectViaOob(t.url, a.api_key, 'gone-1', { nsid: ALICE });
    const cachedForA = (await (await call(a, 'POST', '/v1/users/gone-1/flickr/flickr.test.login', {})).json()) as { user: { id: string } };
    expect(cachedForA.user.id).toBe(ALICE);
    // No worker runs yet: the job stays queued.
    const up = await sendUpload(t.url, a.api_key, 'gone-1', { bytes: 64 * 1024 }, { title: 'from A' });
    expect(up.status).toBe(202);
    const jobId = up.body.job_id as string;
    const fileId = (await t.app.get(UploadJobRepository).findById(jobId))!.file_id;
    expect(await t.app.get(UploadStagingStore).exists(fileId)).toBe(true);
    const pending = (await (await call(a, 'POST', '/v1/oauth/start', { user_id: 'gone-1', mode: 'oob', perms: 'write' })).json()) as { oauth_token: string; authorize_url: string };
    const pin = await pinFrom(await approveOnFlickr(pending.authorize_url, ALICE));

    expect((await call(a, 'DELETE', '/v1/users/gone-1')).status).toBe(204);

    const job = (await (await call(a, 'GET', `/v1/uploads/${jobId}`)).json()) as { status: string; reason: string };
    expect(job).toMatchObject({ status: 'cancelled', reason: 'user-erased' });
    expect(await t.app.get(UploadStagingStore).exists(fileId)).toBe(false);
    expect(await db.collection('oauth_pending').countDocuments({ _id: pending.oauth_token as never })).toBe(0);
    expect(await db.collection('tokens').countDocuments({ user_id: `${a.client_id}/gone-1` })).toBe(0);
    const audit = await db.collection('audit_events').findOne({ action: 'user.erased', target: `${a.client_id}/gone-1` });
    expect(audit?.details).toMatchObject({ existed: true, steps: expect.arrayContaining(['uploads', 'oauth-pending', 'flickr-cache']) });

    // The pending request of the erased user cannot be completed, not even after A registers the name again.
    expect((await call(a, 'POST', '/v1/oauth/verify', { user_id: 'gone-1', oauth_token: pending.oauth_token, verifier: pin })).status).toBe(404);
    expect((await call(a, 'PUT', '/v1/users/gone-1')).status).toBe(200);
    const late = await call(a, 'POST', '/v1/oauth/verify', { user_id: 'gone-1', oauth_token: pending.oauth_token, verifier: pin });
    expect(late.status).toBe(400);
    expect(await stateOf(a, 'gone-1')).toEqual({ state: 'not_connected' });

    // B registers and connects its own gone-1 (Bob's Flickr account).
    await connectViaOob(t.url, b.api_key, 'gone-1', { nsid: BOB });
    const before = fake.count('flickr.test.login');
    const forB = (await (await call(b, 'POST', '/v1/users/gone-1/flickr/flickr.test.login', {})).json()) as { user: { id: string } };
    expect(forB.user.id).toBe(BOB);
    expect(fake.count('flickr.test.login') - before).toBe(1);

    // A worker runs now: B's own upload completes into Bob's account; A's cancelled job never runs.
    const photosBefore = fake.listPhotos().length;
    const worker = await startWorker();
    try {
      const mine = await sendUpload(t.url, b.api_key, 'gone-1', { bytes: 32 * 1024 }, { title: 'from B' });
      expect(mine.status).toBe(202);
      const done = await waitFor(async () => {
        const r = (await (await call(b, 'GET', `/v1/uploads/${mine.body.job_id as string}`)).json()) as { status: string };
        return ['completed', 'failed'].includes(r.status) ? r : undefined;
      }, { timeoutMs: 60_000 });
      if (done.status !== 'completed') process.stderr.write(worker.output());
      expect(done.status).toBe('completed');
    } finally {
      await worker.stop();
    }
    const uploaded = fake.listPhotos().slice(photosBefore);
    expect(uploaded.map((p) => [p.owner, p.title])).toEqual([[BOB, 'from B']]);
    expect(((await (await call(a, 'GET', `/v1/uploads/${jobId}`)).json()) as { status: string }).status).toBe('cancelled');
  }, 120_000);

  it('callback mode: an approval presented without the initiator\'s state (or by another client) connects nothing', async () => {
    const start = await call(a, 'POST', '/v1/oauth/start', { user_id: 'cb-1', mode: 'callback', perms: 'read', return_url: 'https://app-a.example.test/done' });
    expect(start.status).toBe(201);
    const started = (await start.json()) as { oauth_token: string; authorize_url: string; state: string };
    // The link is forwarded to a stranger, who approves with their own Flickr account.
    const redirect = await approveOnFlickr(started.authorize_url, BOB);
    const back = new URL(redirect.headers.get('location') as string);
    const cb = await fetch(`${t.url}/v1/oauth/callback${back.search}`, { redirect: 'manual' });
    expect(cb.status).toBe(303);
    expect(new URL(cb.headers.get('location') as string).origin).toBe('https://app-a.example.test');
    expect(await stateOf(a, 'cb-1')).toEqual({ state: 'not_connected' });

    // A's app, in the stranger's browser session, has no state for this request (or a wrong one): refused.
    const wrong = await call(a, 'POST', '/v1/oauth/complete', { user_id: 'cb-1', oauth_token: started.oauth_token, state: randomBytes(32).toString('base64url') });
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toMatchObject({ type: 'urn:flickr-gateway:problem:oauth-request-invalid' });
    const missing = await call(a, 'POST', '/v1/oauth/complete', { user_id: 'cb-1', oauth_token: started.oauth_token });
    expect(missing.status).toBe(400);
    // Another client holding the state (and a user of the same name) cannot use it either.
    await call(b, 'PUT', '/v1/users/cb-1');
    expect((await call(b, 'POST', '/v1/oauth/complete', { user_id: 'cb-1', oauth_token: started.oauth_token, state: started.state })).status).toBe(400);
    expect(await stateOf(a, 'cb-1')).toEqual({ state: 'not_connected' });
    expect(await stateOf(b, 'cb-1')).toEqual({ state: 'not_connected' });
    expect(fake.count('/services/oauth/access_token')).toBeGreaterThan(0);
    const exchanges = fake.count('/services/oauth/access_token');

    // The initiator's own session holds the state: only that completes it.
    const done = await call(a, 'POST', '/v1/oauth/complete', { user_id: 'cb-1', oauth_token: started.oauth_token, state: started.state });
    expect(done.status).toBe(200);
    expect(fake.count('/services/oauth/access_token') - exchanges).toBe(1);
    expect(await stateOf(a, 'cb-1')).toMatchObject({ state: 'connected', nsid: BOB });
  });
});

describe('tenant isolation: shared limits', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { ...AUTH_TEST_ENV, RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_USER_READ_LIMIT: '5' } });
  });
  afterAll(async () => t?.close());

  it("with a per-user read limit of 5, B's requests naming A's user id never cause a 429 for A's reads of that user", async () => {
    const [a, b] = [await createApiKey(t.app), await createApiKey(t.app)];
    expect((await fetch(`${t.url}/v1/users/lim-1`, { method: 'PUT', headers: { 'x-api-key': a.api_key } })).status).toBe(200);
    const bStatuses: number[] = [];
    for (let i = 0; i < 10; i++) bStatuses.push((await fetch(`${t.url}/v1/users/lim-1`, { headers: { 'x-api-key': b.api_key } })).status);
    // B only ever spends the window of its own (non-existent) lim-1.
    expect(bStatuses).toEqual([404, 404, 404, 404, 404, 429, 429, 429, 429, 429]);
    const aStatuses: number[] = [];
    for (let i = 0; i < 5; i++) aStatuses.push((await fetch(`${t.url}/v1/users/lim-1`, { headers: { 'x-api-key': a.api_key } })).status);
    expect(aStatuses).toEqual([200, 200, 200, 200, 200]);
  });

  it('after 25 failed authentications from one address, a key verified recently from it is still served; an unknown key is refused', async () => {
    const good = await createApiKey(t.app);
    const neverUsed = await createApiKey(t.app);
    expect((await fetch(`${t.url}/v1/users/bf-1`, { method: 'PUT', headers: { 'x-api-key': good.api_key } })).status).toBe(200);
    const failures: number[] = [];
    // Well-formed keys with random key ids: only the address counter can add them up.
    for (let i = 0; i < 25; i++) failures.push((await fetch(`${t.url}/v1/users/bf-1`, { headers: { 'x-api-key': formatApiKey(newKeyId(), newSecret()) } })).status);
    expect(failures.slice(0, 20).every((s) => s === 401)).toBe(true);
    expect(failures.slice(20).every((s) => s === 429)).toBe(true);
    expect((await fetch(`${t.url}/v1/users/bf-1`, { headers: { 'x-api-key': good.api_key } })).status).toBe(200);
    const unknown = await fetch(`${t.url}/v1/users/bf-1`, { headers: { 'x-api-key': formatApiKey(newKeyId(), newSecret()) } });
    expect(unknown.status).toBe(429);
    expect(await unknown.json()).toMatchObject({ class: 'auth-failure' });
    // A valid key never verified here pays bcrypt only under the limit: refused from this address for now.
    expect((await fetch(`${t.url}/v1/users/bf-1`, { headers: { 'x-api-key': neverUsed.api_key } })).status).toBe(429);
  });
});
