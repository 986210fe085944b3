import { ALICE, FAKE_GROUP_ID, FakeFlickr, REAL_FLICKR_ORIGINS } from '../../tools/sandbox-flickr/fake-flickr.server';
import { AUTH_TEST_ENV, createApiKey } from '../support/factories/api-key.factory';
import { connectViaOob, fakeFlickrEnv } from '../support/factories/flickr.factory';
import { startTestApp, type TestApp } from '../support/test-app';

const PROBLEM = 'urn:flickr-gateway:problem:';
const BOB = { nsid: '87654321@N00', username: 'bob', fullname: 'Bob Example' };

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * The catalogue-driven proxy through the whole gateway against the fake Flickr
 * (which serves every method family and enforces each token's permission with
 * code 99): the catalogue route, a successful call per family, and the
 * refusals the gateway answers itself without calling Flickr.
 */
describe('the Flickr method catalogue through the gateway', () => {
  let fake: FakeFlickr;
  let t: TestApp;
  let apiKey: string;
  let mine: string;
  let bobs: string;

  const call = (userId: string, method: string, body: Record<string, unknown> = {}) =>
    fetch(`${t.url}/v1/users/${userId}/flickr/${method}`, {
      method: 'POST',
      headers: { 'x-api-key': apiKey, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  /** A call that must succeed and reach Flickr exactly once; returns Flickr's answer. */
  const ok = async (userId: string, method: string, body: Record<string, unknown> = {}): Promise<Json> => {
    const before = fake.callsTo(method);
    const res = await call(userId, method, body);
    const answer = (await res.json()) as Json;
    expect({ method, status: res.status, answer }).toMatchObject({ method, status: 200, answer: { stat: 'ok' } });
    expect({ method, upstream: fake.callsTo(method) - before }).toEqual({ method, upstream: 1 });
    return answer;
  };

  beforeAll(async () => {
    fake = await FakeFlickr.start({ origins: REAL_FLICKR_ORIGINS });
    fake.addUser(BOB);
    mine = fake.addPhoto({ owner: ALICE.nsid, title: 'Golden hour', tags: 'sunset sea' }).id;
    bobs = fake.addPhoto({ owner: BOB.nsid, title: 'Bob at the beach', tags: 'beach' }).id;
    t = await startTestApp({
      env: { ...AUTH_TEST_ENV, ...fakeFlickrEnv(fake), FLICKR_CACHE_TTL_OVERRIDES: 'flickr.photos.getSizes=0' },
    });
    apiKey = (await createApiKey(t.app)).api_key;
    // One Flickr account (alice), connected three times with each permission.
    await connectViaOob(t.url, apiKey, 'reader', { perms: 'read' });
    await connectViaOob(t.url, apiKey, 'writer', { perms: 'write' });
    await connectViaOob(t.url, apiKey, 'deleter', { perms: 'delete' });
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  describe('GET /v1/flickr/methods', () => {
    it('lists every catalogued method with permission, class, parameters and cache TTL; gateway-owned ones marked', async () => {
      const res = await fetch(`${t.url}/v1/flickr/methods`, { headers: { 'x-api-key': apiKey } });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { sdkVersion: string; methods: Json[] };
      expect(body.methods.length).toBeGreaterThanOrEqual(200);
      const byName = new Map(body.methods.map((m) => [m.name as string, m]));
      expect(byName.get('flickr.photos.delete')).toMatchObject({ permission: 'delete', class: 'write', cacheTtlSeconds: 0, proxied: true });
      expect(byName.get('flickr.photos.getInfo')).toMatchObject({ permission: 'none', class: 'read', cacheTtlSeconds: 300, proxied: true });
      // The operator's override is what the listing shows.
      expect(byName.get('flickr.photos.getSizes')).toMatchObject({ cacheTtlSeconds: 0, params: [{ name: 'photo_id', required: true }] });
      expect(byName.get('flickr.auth.oauth.getAccessToken')).toMatchObject({ proxied: false, gatewayOwned: expect.stringContaining('/v1/oauth/start') });
    });

    it('needs a client key', async () => {
      expect((await fetch(`${t.url}/v1/flickr/methods`)).status).toBe(401);
    });

    it("documents the proxy route's method as an enum of the proxiable methods, linking the catalogue", async () => {
      const doc = (await fetch(`${t.url}/docs-json`).then((r) => r.json())) as Json;
      const post = doc.paths['/v1/users/{user_id}/flickr/{method}'].post;
      const param = post.parameters.find((p: Json) => p.name === 'method');
      expect(param.schema.enum).toContain('flickr.photos.getSizes');
      expect(param.schema.enum).not.toContain('flickr.auth.oauth.getAccessToken');
      expect(param.schema.enum.length).toBeGreaterThanOrEqual(200);
      expect(JSON.stringify(param)).toContain('/v1/flickr/methods');
      expect(doc.paths['/v1/flickr/methods'].get).toBeDefined();
    });
  });

  describe('one call per family succeeds through the gateway', () => {
    it('photos: getSizes (not cached: overridden to 0) and getInfo (cached)', async () => {
      const sizes = await ok('reader', 'flickr.photos.getSizes', { photo_id: mine });
      expect(sizes.sizes.size.length).toBeGreaterThan(0);
      await ok('reader', 'flickr.photos.getSizes', { photo_id: mine });
      await ok('reader', 'flickr.photos.getInfo', { photo_id: mine });
      const before = fake.callsTo('flickr.photos.getInfo');
      expect((await call('reader', 'flickr.photos.getInfo', { photo_id: mine })).status).toBe(200);
      expect(fake.callsTo('flickr.photos.getInfo')).toBe(before);
    });

    it('photosets: create, then getPhotos sees the album', async () => {
      const created = await ok('writer', 'flickr.photosets.create', { title: 'Evenings', primary_photo_id: mine });
      const photos = await ok('writer', 'flickr.photosets.getPhotos', { photoset_id: created.photoset.id, user_id: ALICE.nsid });
      expect(photos.photoset).toMatchObject({ id: created.photoset.id, total: 1 });
    });

    it('people: getInfo', async () => {
      const person = await ok('reader', 'flickr.people.getInfo', { user_id: BOB.nsid });
      expect(person.person).toMatchObject({ nsid: BOB.nsid });
    });

    it('favorites: add, then getList shows it', async () => {
      await ok('writer', 'flickr.favorites.add', { photo_id: bobs });
      const list = await ok('writer', 'flickr.favorites.getList', {});
      expect(list.photos.photo.map((p: Json) => p.id)).toContain(bobs);
    });

    it('galleries: create, then getInfo', async () => {
      const created = await ok('writer', 'flickr.galleries.create', { title: 'Beaches', description: 'sand' });
      const info = await ok('writer', 'flickr.galleries.getInfo', { gallery_id: created.gallery.id });
      expect(info.gallery).toMatchObject({ id: created.gallery.id });
    });

    it('groups.pools: add, then getPhotos shows the photo', async () => {
      await ok('writer', 'flickr.groups.pools.add', { photo_id: mine, group_id: FAKE_GROUP_ID });
      const pool = await ok('writer', 'flickr.groups.pools.getPhotos', { group_id: FAKE_GROUP_ID });
      expect(pool.photos.photo.map((p: Json) => p.id)).toContain(mine);
    });

    it('photos.comments: addComment, then getList shows it', async () => {
      await ok('writer', 'flickr.photos.comments.addComment', { photo_id: mine, comment_text: 'lovely light' });
      const list = await ok('writer', 'flickr.photos.comments.getList', { photo_id: mine });
      expect(list.comments.comment.map((c: Json) => c._content)).toContain('lovely light');
    });

    it('photos.geo: setLocation, then getLocation', async () => {
      await ok('writer', 'flickr.photos.geo.setLocation', { photo_id: mine, lat: 48.8584, lon: 2.2945 });
      const where = await ok('writer', 'flickr.photos.geo.getLocation', { photo_id: mine });
      expect(Number(where.photo.location.latitude)).toBeCloseTo(48.8584, 3);
    });

    it('tags: getListPhoto', async () => {
      const tags = await ok('reader', 'flickr.tags.getListPhoto', { photo_id: mine });
      expect(tags.photo.tags.tag.map((x: Json) => x._content)).toEqual(expect.arrayContaining(['sunset', 'sea']));
    });

    it('urls: getUserProfile, then lookupUser resolves that URL', async () => {
      const profile = await ok('reader', 'flickr.urls.getUserProfile', { user_id: ALICE.nsid });
      const found = await ok('reader', 'flickr.urls.lookupUser', { url: profile.user.url });
      expect(found.user).toMatchObject({ id: ALICE.nsid });
    });
  });

  describe('refused by the gateway, with zero upstream calls', () => {
    let before: number;
    beforeEach(() => {
      before = fake.requests.length;
    });
    afterEach(() => {
      expect(fake.requests.length).toBe(before);
    });

    it('a missing required parameter: 400 invalid-flickr-parameters listing it', async () => {
      const res = await call('deleter', 'flickr.photos.getSizes', {});
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ type: `${PROBLEM}invalid-flickr-parameters`, method: 'flickr.photos.getSizes', missing: ['photo_id'], unknown: [] });
    });

    it('an unknown parameter: 400 listing it', async () => {
      const res = await call('deleter', 'flickr.photos.addTags', { photo_id: mine, tags: 'x', colour: 'red' });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ type: `${PROBLEM}invalid-flickr-parameters`, missing: [], unknown: ['colour'] });
    });

    it('a read connection calling a write method: 403 naming write and how to re-connect', async () => {
      const res = await call('reader', 'flickr.photos.addTags', { photo_id: mine, tags: 'golden' });
      expect(res.status).toBe(403);
      expect(await res.json()).toMatchObject({
        type: `${PROBLEM}flickr-permission-required`,
        required_permission: 'write',
        granted_permission: 'read',
        reconnect: { method: 'POST', path: '/v1/oauth/start', body: { user_id: 'reader', perms: 'write' } },
      });
    });

    it('a write connection calling a delete method: 403 naming delete', async () => {
      const res = await call('writer', 'flickr.photos.delete', { photo_id: mine });
      expect(res.status).toBe(403);
      expect(await res.json()).toMatchObject({ type: `${PROBLEM}flickr-permission-required`, required_permission: 'delete', granted_permission: 'write' });
      expect(fake.photo(mine)).toBeDefined();
    });

    it('an unknown method: 400 unknown-flickr-method', async () => {
      const res = await call('deleter', 'flickr.photos.teleport', {});
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ type: `${PROBLEM}unknown-flickr-method`, method: 'flickr.photos.teleport' });
    });

    it('a gateway-owned method: 400 flickr-method-gateway-owned with the reason', async () => {
      const res = await call('deleter', 'flickr.auth.oauth.checkToken', { oauth_token_id: 'x' });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ type: `${PROBLEM}flickr-method-gateway-owned`, reason: expect.stringContaining('OAuth') });
    });
  });

  it('a delete connection may delete (the method reaches Flickr once)', async () => {
    const doomed = fake.addPhoto({ owner: ALICE.nsid, title: 'blurry' }).id;
    await ok('deleter', 'flickr.photos.delete', { photo_id: doomed });
    expect(fake.photo(doomed)).toBeUndefined();
  });
});
