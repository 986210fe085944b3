import { getConnectionToken } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import { type FakeConsumer, FakeFlickr, REAL_FLICKR_ORIGINS } from '../../tools/sandbox-flickr/fake-flickr.server';
import { AUTH_TEST_ENV, createApiKey } from '../support/factories/api-key.factory';
import { connectViaOob, fakeFlickrEnv } from '../support/factories/flickr.factory';
import { startTestApp, type TestApp } from '../support/test-app';

const PROBLEM = 'urn:flickr-gateway:problem:';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * Per-client Flickr apps through the whole gateway against the fake Flickr, which checks every
 * signature with the secret of the app whose consumer key the request names and binds tokens to
 * the app that obtained them: clients A and B with their own apps, client G on the gateway's.
 */
describe('per-client Flickr apps', () => {
  let fake: FakeFlickr;
  let t: TestApp;
  let admin: string;
  const keys: Record<'A' | 'B' | 'G', { apiKey: string; clientId: string }> = {} as never;
  let appA: FakeConsumer;
  let appB: FakeConsumer;
  let gateway: string;
  /** Every body the gateway answered in this file, to look for secrets in. */
  const answered: string[] = [];

  const send = async (path: string, init: { method?: string; key: string; body?: unknown; headers?: Record<string, string> }) => {
    const res = await fetch(`${t.url}${path}`, {
      method: init.method ?? 'GET',
      headers: { 'x-api-key': init.key, ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}), ...init.headers },
      body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
    });
    const text = await res.text();
    answered.push(text, JSON.stringify([...res.headers]));
    return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : undefined) as Json };
  };
  const putApp = (clientId: string, body: unknown, key = admin) => send(`/admin/clients/${clientId}/flickr-app`, { method: 'PUT', key, body });
  /** A proxy read that is never answered from the cache. */
  const login = (who: 'A' | 'B' | 'G', userId: string) =>
    send(`/v1/users/${userId}/flickr/flickr.test.login`, { method: 'POST', key: keys[who].apiKey, body: {}, headers: { 'cache-control': 'no-cache' } });
  const connect = async (who: 'A' | 'B' | 'G', userId: string) => {
    const verified = await connectViaOob(t.url, keys[who].apiKey, userId, { perms: 'read' });
    answered.push(JSON.stringify(verified));
    return verified;
  };

  beforeAll(async () => {
    fake = await FakeFlickr.start({ origins: REAL_FLICKR_ORIGINS });
    appA = fake.addConsumer();
    appB = fake.addConsumer();
    gateway = fake.consumerKey;
    t = await startTestApp({ env: { ...AUTH_TEST_ENV, ...fakeFlickrEnv(fake) } });
    admin = (await createApiKey(t.app, { role: 'admin', client_id: 'ops' })).api_key;
    for (const who of ['A', 'B', 'G'] as const) {
      const issued = await createApiKey(t.app, { client_id: `client-${who.toLowerCase()}-${Date.now().toString(36)}` });
      keys[who] = { apiKey: issued.api_key, clientId: issued.client_id };
    }
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  it('the admin gives A and B their own apps (B with a small budget); the answer never holds the secret', async () => {
    const a = await putApp(keys.A.clientId, { consumer_key: appA.consumerKey, consumer_secret: appA.consumerSecret });
    expect(a.status).toBe(200);
    expect(a.body).toEqual({
      client_id: keys.A.clientId,
      app_id: expect.stringMatching(/^app_[0-9a-f]{20}$/),
      consumer_key: appA.consumerKey,
      budget_per_hour: 3500,
      created_at: expect.any(String),
      updated_at: expect.any(String),
      switched: true,
      reauthorization_required: 0,
    });
    const b = await putApp(keys.B.clientId, { consumer_key: appB.consumerKey, consumer_secret: appB.consumerSecret, budget_per_hour: 6 });
    expect(b.status).toBe(200);
    expect(b.body).toMatchObject({ consumer_key: appB.consumerKey, budget_per_hour: 6 });
    expect(b.body.app_id).not.toBe(a.body.app_id);

    const got = await send(`/admin/clients/${keys.A.clientId}/flickr-app`, { key: admin });
    expect(got.status).toBe(200);
    const { switched: _s, reauthorization_required: _r, ...shown } = a.body;
    expect(got.body).toEqual(shown);

    const none = await send(`/admin/clients/${keys.G.clientId}/flickr-app`, { key: admin });
    expect(none.status).toBe(404);
    expect(none.body.type).toBe(`${PROBLEM}not-found`);
  });

  it('refuses a client key (403) and a malformed body (400) on the admin routes, changing nothing', async () => {
    const asClient = await putApp(keys.A.clientId, { consumer_key: 'x', consumer_secret: 'y' }, keys.A.apiKey);
    expect(asClient.status).toBe(403);
    expect((await send(`/admin/clients/${keys.A.clientId}/flickr-app`, { key: keys.A.apiKey })).status).toBe(403);
    expect((await send(`/admin/clients/${keys.A.clientId}/flickr-app`, { method: 'DELETE', key: keys.A.apiKey })).status).toBe(403);
    const invalid = await putApp(keys.A.clientId, { consumer_key: appA.consumerKey, consumer_secret: 'has spaces', budget_per_hour: 0 });
    expect(invalid.status).toBe(400);
    expect((await send(`/admin/clients/${keys.A.clientId}/flickr-app`, { key: admin })).body.consumer_key).toBe(appA.consumerKey);
  });

  it("each client's OAuth flow and proxy calls reach Flickr signed with its own app", async () => {
    for (const [who, consumerKey] of [
      ['A', appA.consumerKey],
      ['B', appB.consumerKey],
      ['G', gateway],
    ] as const) {
      const others = [appA.consumerKey, appB.consumerKey, gateway].filter((k) => k !== consumerKey);
      const before = { own: fake.calls(consumerKey), others: others.map((k) => fake.calls(k)) };
      await connect(who, 'u1');
      // request_token and access_token, both with the client's app (the fake checks the signatures with its secret).
      expect(fake.calls(consumerKey) - before.own).toBe(2);
      expect(others.map((k) => fake.calls(k))).toEqual(before.others);

      const call = await login(who, 'u1');
      expect({ who, status: call.status }).toEqual({ who, status: 200 });
      expect(fake.callsTo('flickr.test.login', consumerKey)).toBe(1);
      expect(others.map((k) => fake.calls(k))).toEqual(before.others);
    }
    // The fake issued each token to the app that obtained it.
    const tokens = await t.app.get<Connection>(getConnectionToken()).collection('users').find({ 'flickr.state': 'connected' }).toArray();
    expect(tokens.map((u) => [u.client_id, u.flickr.app_id]).sort()).toEqual(
      [
        [keys.A.clientId, expect.stringMatching(/^app_/)],
        [keys.B.clientId, expect.stringMatching(/^app_/)],
        [keys.G.clientId, 'default'],
      ].sort((x, y) => String(x[0]).localeCompare(String(y[0]))),
    );
  });

  it("exhausting B's app budget refuses B's calls without calling Flickr, while A and G keep being served", async () => {
    // B's budget is 6 an hour: its OAuth exchanges and first call took 3.
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await login('B', 'u1')).status);
    const firstRefused = statuses.findIndex((s) => s !== 200);
    expect(firstRefused).toBeGreaterThanOrEqual(0);
    expect(statuses.slice(0, firstRefused).every((s) => s === 200)).toBe(true);
    const upstreamBefore = fake.callsTo('flickr.test.login', appB.consumerKey);
    const refused = await login('B', 'u1');
    expect([429, 503]).toContain(refused.status);
    expect(refused.body.type).toMatch(/flickr-(budget-exhausted|fair-share-exceeded)$/);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(fake.callsTo('flickr.test.login', appB.consumerKey)).toBe(upstreamBefore);

    for (const who of ['A', 'G'] as const) {
      const before = fake.callsTo('flickr.test.login');
      expect({ who, status: (await login(who, 'u1')).status }).toEqual({ who, status: 200 });
      expect(fake.callsTo('flickr.test.login')).toBe(before + 1);
    }
  });

  it("a new secret for the same consumer key is a rotation: A's connections keep working", async () => {
    const rotated = await putApp(keys.A.clientId, { consumer_key: appA.consumerKey, consumer_secret: appA.consumerSecret, budget_per_hour: 100 });
    expect(rotated.body).toMatchObject({ switched: false, reauthorization_required: 0, budget_per_hour: 100 });
    expect((await login('A', 'u1')).status).toBe(200);
  });

  it("switching A to another app marks A's connections for re-authorisation; reconnecting signs with the new app", async () => {
    await connect('A', 'u2');
    const appA2 = fake.addConsumer();
    const switched = await putApp(keys.A.clientId, { consumer_key: appA2.consumerKey, consumer_secret: appA2.consumerSecret });
    expect(switched.status).toBe(200);
    expect(switched.body).toMatchObject({ consumer_key: appA2.consumerKey, switched: true, reauthorization_required: 2 });

    const upstreamBefore = fake.calls();
    for (const userId of ['u1', 'u2']) {
      const refused = await login('A', userId);
      expect(refused.status).toBe(409);
      expect(refused.body.type).toBe(`${PROBLEM}flickr-reauthorization-required`);
      const shown = await send(`/v1/users/${userId}`, { key: keys.A.apiKey });
      expect(shown.body).toMatchObject({ flickr: { state: 'reauthorization_required' } });
    }
    expect(fake.calls()).toBe(upstreamBefore);
    // Other clients' connections are untouched.
    expect((await login('G', 'u1')).status).toBe(200);

    await connect('A', 'u1');
    expect((await login('A', 'u1')).status).toBe(200);
    expect(fake.callsTo('flickr.test.login', appA2.consumerKey)).toBe(1);
  });

  it("removing B's app takes B back to the gateway's app and marks B's connections", async () => {
    const removed = await send(`/admin/clients/${keys.B.clientId}/flickr-app`, { method: 'DELETE', key: admin });
    expect(removed.status).toBe(200);
    expect(removed.body).toEqual({ client_id: keys.B.clientId, app_id: 'default', reauthorization_required: 1 });
    expect((await send(`/admin/clients/${keys.B.clientId}/flickr-app`, { key: admin })).status).toBe(404);
    expect((await send(`/admin/clients/${keys.B.clientId}/flickr-app`, { method: 'DELETE', key: admin })).status).toBe(404);

    expect((await login('B', 'u1')).status).toBe(409);
    const before = fake.calls(gateway);
    await connect('B', 'u1');
    expect((await login('B', 'u1')).status).toBe(200);
    expect(fake.calls(gateway) - before).toBe(3);
  });

  it("a connection stored before per-client apps (no app id) was the gateway app's: it keeps working, and G switching marks it", async () => {
    const users = t.app.get<Connection>(getConnectionToken()).collection('users');
    await users.updateOne({ _id: `${keys.G.clientId}/u1` as never }, { $unset: { 'flickr.app_id': '' } });
    expect((await login('G', 'u1')).status).toBe(200);
    const appG = fake.addConsumer();
    const switched = await putApp(keys.G.clientId, { consumer_key: appG.consumerKey, consumer_secret: appG.consumerSecret });
    expect(switched.body).toMatchObject({ switched: true, reauthorization_required: 1 });
    expect((await login('G', 'u1')).status).toBe(409);
  });

  it('records every write as a security event, and no secret appears in any answer or stored record', async () => {
    const events = await send(`/admin/security-events?client_id=${keys.A.clientId}`, { key: admin });
    expect(events.status).toBe(200);
    const actions = (events.body.items as Json[]).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['flickr_app.created', 'flickr_app.updated']));
    const bEvents = await send(`/admin/security-events?client_id=${keys.B.clientId}`, { key: admin });
    expect((bEvents.body.items as Json[]).map((e) => e.action)).toEqual(expect.arrayContaining(['flickr_app.created', 'flickr_app.removed']));

    const secrets = fake
      .consumers()
      .filter((c) => c.consumerKey !== gateway)
      .map((c) => c.consumerSecret);
    expect(secrets.length).toBeGreaterThanOrEqual(3);
    const db = t.app.get<Connection>(getConnectionToken()).db!;
    const stored: string[] = [];
    for (const { name } of await db.listCollections().toArray()) {
      for (const doc of await db.collection(name).find({}).toArray()) stored.push(JSON.stringify(doc));
    }
    expect(stored.some((s) => s.includes(appA.consumerKey))).toBe(true); // the search does look at the app records
    for (const secret of secrets) {
      expect({ secret, inAnswers: answered.some((a) => a.includes(secret)) }).toEqual({ secret, inAnswers: false });
      expect({ secret, stored: stored.some((s) => s.includes(secret)) }).toEqual({ secret, stored: false });
    }
  });
});
