import { createFlickr } from 'flickr-sdk';
import { CATALOGUE } from '../../tools/sandbox-flickr/fake-flickr.methods';
import { FAKE_GROUP_ID, FakeFlickr, REAL_FLICKR_ORIGINS } from '../../tools/sandbox-flickr/fake-flickr.server';
import { connectWithSdk, RedirectingTransport, type RestCaller } from '../support/flickr-sdk-transport';

/**
 * The fake stands in for the whole Flickr REST API: every family answers
 * from one in-memory world (writes are seen by later reads), unknown methods
 * and missing permissions answer exactly as Flickr does, and each token only
 * works with the app (consumer key) it was issued to. Driven over HTTP by
 * flickr-sdk, which signs every call over the real Flickr URLs.
 */
describe('the fake Flickr as the whole REST API (flickr-sdk over HTTP)', () => {
  const BOB = { nsid: '87654321@N00', username: 'bob', fullname: 'Bob Example' };
  let fake: FakeFlickr;
  let transport: RedirectingTransport;
  /** alice, connected with delete permission to the default app. */
  let alice: RestCaller;
  let myPhoto: string;
  let bobsPhoto: string;

  beforeAll(async () => {
    fake = await FakeFlickr.start({ origins: REAL_FLICKR_ORIGINS, consumers: [{ consumerKey: 'app-b-key', consumerSecret: 'app-b-secret' }] });
    transport = new RedirectingTransport(fake.url);
    fake.addUser(BOB);
    bobsPhoto = fake.addPhoto({ owner: BOB.nsid, title: 'Bob at the beach', tags: 'beach sea' }).id;
    const connected = await connectWithSdk(fake, transport, { perms: 'delete' });
    alice = connected.call;
    const uploaded = await connected.services.upload(new Blob([Buffer.from('jpeg bytes')], { type: 'image/jpeg' }), { title: 'Golden hour', tags: 'sunset' });
    myPhoto = uploaded.id;
  });
  afterAll(async () => fake?.close());

  const failure = (promise: Promise<unknown>) => promise.then(() => ({ stat: 'ok' }), (e: { cause?: unknown }) => e.cause);

  describe('one call per family, backed by the world', () => {
    it('photos: getSizes lists Flickr sizes of the photo; getInfo shows what setMeta wrote', async () => {
      const sizes = await alice('flickr.photos.getSizes', { photo_id: myPhoto });
      const original = sizes.sizes.size.find((s: { label: string }) => s.label === 'Original');
      expect(original).toMatchObject({ width: 2048, height: 1536, media: 'photo' });
      expect(original.source).toContain(`/${myPhoto}_`);
      await alice('flickr.photos.setMeta', { photo_id: myPhoto, title: 'Golden hour, edited', description: 'by the bay' });
      const info = await alice('flickr.photos.getInfo', { photo_id: myPhoto });
      expect(info.photo).toMatchObject({ id: myPhoto, owner: { nsid: '12345678@N00', username: 'alice' }, title: { _content: 'Golden hour, edited' }, description: { _content: 'by the bay' } });
    });

    it('photosets: create, getPhotos and getList see the new album', async () => {
      const created = await alice('flickr.photosets.create', { title: 'Evenings', primary_photo_id: myPhoto });
      const setId = created.photoset.id;
      const photos = await alice('flickr.photosets.getPhotos', { photoset_id: setId, user_id: '12345678@N00' });
      expect(photos.photoset).toMatchObject({ id: setId, primary: myPhoto, title: 'Evenings', total: 1 });
      expect(photos.photoset.photo).toEqual([expect.objectContaining({ id: myPhoto, isprimary: '1' })]);
      const list = await alice('flickr.photosets.getList', {});
      expect(list.photosets.photoset.map((s: { id: string }) => s.id)).toContain(setId);
    });

    it('people: getInfo and getPhotos', async () => {
      const person = await alice('flickr.people.getInfo', { user_id: BOB.nsid });
      expect(person.person).toMatchObject({ nsid: BOB.nsid, username: { _content: 'bob' }, photos: { count: { _content: 1 } } });
      const photos = await alice('flickr.people.getPhotos', { user_id: BOB.nsid });
      expect(photos.photos.photo.map((p: { id: string }) => p.id)).toEqual([bobsPhoto]);
    });

    it('favorites: add shows in getList and photos.getFavorites; remove takes it out', async () => {
      await alice('flickr.favorites.add', { photo_id: bobsPhoto });
      const list = await alice('flickr.favorites.getList', {});
      expect(list.photos.photo).toEqual([expect.objectContaining({ id: bobsPhoto, date_faved: expect.stringMatching(/^\d+$/) })]);
      const faves = await alice('flickr.photos.getFavorites', { photo_id: bobsPhoto });
      expect(faves.photo.person.map((p: { nsid: string }) => p.nsid)).toEqual(['12345678@N00']);
      await alice('flickr.favorites.remove', { photo_id: bobsPhoto });
      expect((await alice('flickr.favorites.getList', {})).photos.photo).toEqual([]);
    });

    it('galleries: create, addPhoto, getPhotos; urls.lookupGallery finds it by its URL', async () => {
      const created = await alice('flickr.galleries.create', { title: 'Beaches', description: 'other people’s beaches' });
      const galleryId = created.gallery.id;
      await alice('flickr.galleries.addPhoto', { gallery_id: galleryId, photo_id: bobsPhoto, comment: 'nice' });
      const photos = await alice('flickr.galleries.getPhotos', { gallery_id: galleryId });
      expect(photos.photos.photo).toEqual([expect.objectContaining({ id: bobsPhoto, comment: { _content: 'nice' } })]);
      const found = await alice('flickr.urls.lookupGallery', { url: created.gallery.url });
      expect(found.gallery).toMatchObject({ id: galleryId, count_photos: 1, title: { _content: 'Beaches' } });
    });

    it('groups.pools: add puts the photo in the pool; getPhotos and getGroups see it', async () => {
      await alice('flickr.groups.pools.add', { group_id: FAKE_GROUP_ID, photo_id: myPhoto });
      const pool = await alice('flickr.groups.pools.getPhotos', { group_id: FAKE_GROUP_ID });
      expect(pool.photos.photo).toEqual([expect.objectContaining({ id: myPhoto, ownername: 'alice' })]);
      const groups = await alice('flickr.groups.pools.getGroups', {});
      expect(groups.groups.group).toEqual([expect.objectContaining({ nsid: FAKE_GROUP_ID, photos: '1' })]);
    });

    it('photos.comments: add, getList, delete', async () => {
      const added = await alice('flickr.photos.comments.addComment', { photo_id: bobsPhoto, comment_text: 'Lovely light' });
      const list = await alice('flickr.photos.comments.getList', { photo_id: bobsPhoto });
      expect(list.comments.comment).toEqual([expect.objectContaining({ id: added.comment.id, author: '12345678@N00', _content: 'Lovely light' })]);
      await alice('flickr.photos.comments.deleteComment', { comment_id: added.comment.id });
      expect((await alice('flickr.photos.comments.getList', { photo_id: bobsPhoto })).comments.comment).toEqual([]);
    });

    it('photos.geo: setLocation then getLocation; a photo without one answers code 2', async () => {
      await alice('flickr.photos.geo.setLocation', { photo_id: myPhoto, lat: '37.8199', lon: '-122.4783', accuracy: '16' });
      const where = await alice('flickr.photos.geo.getLocation', { photo_id: myPhoto });
      expect(where.photo).toMatchObject({ id: myPhoto, location: { latitude: '37.8199', longitude: '-122.4783', accuracy: '16' } });
      expect(await failure(alice('flickr.photos.geo.getLocation', { photo_id: bobsPhoto }))).toMatchObject({ stat: 'fail', code: 2 });
    });

    it('tags: addTags (quoted multi-word tags) shows in tags.getListPhoto and tags.getListUser', async () => {
      await alice('flickr.photos.addTags', { photo_id: myPhoto, tags: 'bay "golden gate"' });
      const tags = await alice('flickr.tags.getListPhoto', { photo_id: myPhoto });
      expect(tags.photo.tags.tag.map((t: { raw: string; _content: string }) => [t.raw, t._content])).toEqual([
        ['sunset', 'sunset'],
        ['bay', 'bay'],
        ['golden gate', 'goldengate'],
      ]);
      const mine = await alice('flickr.tags.getListUser', {});
      expect(mine.who.tags.tag.map((t: { _content: string }) => t._content)).toEqual(['bay', 'goldengate', 'sunset']);
    });

    it('urls: getUserPhotos and lookupUser round-trip; methods needing no permission work with an api_key alone', async () => {
      const photos = await alice('flickr.urls.getUserPhotos', { user_id: BOB.nsid });
      expect(photos.user).toEqual({ nsid: BOB.nsid, url: 'https://www.flickr.com/photos/bob/' });
      const anonymous = createFlickr(fake.consumerKey, transport).flickr as unknown as RestCaller;
      const user = await anonymous('flickr.urls.lookupUser', { url: photos.user.url });
      expect(user.user).toEqual({ id: BOB.nsid, username: { _content: 'bob' } });
      expect(fake.requests.at(-1)?.params).toMatchObject({ api_key: fake.consumerKey, method: 'flickr.urls.lookupUser' });
      expect(fake.requests.at(-1)?.params.oauth_signature).toBeUndefined();
    });
  });

  describe("Flickr's errors", () => {
    it('a method Flickr does not have answers 112 with its name', async () => {
      expect(await failure(alice('flickr.photos.teleport', { photo_id: myPhoto }))).toEqual({ stat: 'fail', code: 112, message: 'Method "flickr.photos.teleport" not found' });
    });

    it('a missing required argument answers code 1, and changes nothing', async () => {
      expect(await failure(alice('flickr.photos.getInfo', {}))).toEqual({ stat: 'fail', code: 1, message: 'Photo not found' });
      expect(await failure(alice('flickr.photos.comments.addComment', { photo_id: bobsPhoto }))).toEqual({
        stat: 'fail',
        code: 1,
        message: 'Required argument "comment_text" missing',
      });
      expect(fake.photo(bobsPhoto)?.comments).toEqual([]);
    });

    it('a read token calling a write method answers 99 naming both permissions, and nothing changes', async () => {
      const reader = await connectWithSdk(fake, transport, { perms: 'read' });
      const before = fake.photo(myPhoto)!.title;
      expect(await failure(reader.call('flickr.photos.setMeta', { photo_id: myPhoto, title: 'vandalised' }))).toEqual({
        stat: 'fail',
        code: 99,
        message: 'Insufficient permissions. Method requires write privileges; read granted.',
      });
      expect(await failure(reader.call('flickr.favorites.add', { photo_id: bobsPhoto }))).toMatchObject({ code: 99 });
      expect(fake.photo(myPhoto)!.title).toBe(before);
      expect(fake.photo(bobsPhoto)!.faves.size).toBe(0);
      // Reads work with the same token.
      await expect(reader.call('flickr.photos.getInfo', { photo_id: myPhoto })).resolves.toMatchObject({ stat: 'ok' });
    });

    it('a write token calling a delete method answers 99 naming delete; no token for a read method names none', async () => {
      const writer = await connectWithSdk(fake, transport, { perms: 'write' });
      expect(await failure(writer.call('flickr.photos.delete', { photo_id: myPhoto }))).toEqual({
        stat: 'fail',
        code: 99,
        message: 'Insufficient permissions. Method requires delete privileges; write granted.',
      });
      expect(fake.photo(myPhoto)).toBeDefined();
      const anonymous = createFlickr(fake.consumerKey, transport).flickr as unknown as RestCaller;
      expect(await failure(anonymous('flickr.test.login', {}))).toEqual({
        stat: 'fail',
        code: 99,
        message: 'Insufficient permissions. Method requires read privileges; none granted.',
      });
    });

    it('a delete token may delete: the photo leaves the world and every album and pool', async () => {
      const doomed = fake.addPhoto({ title: 'doomed' }).id;
      await alice('flickr.groups.pools.add', { group_id: FAKE_GROUP_ID, photo_id: doomed });
      await alice('flickr.photos.delete', { photo_id: doomed });
      expect(await failure(alice('flickr.photos.getInfo', { photo_id: doomed }))).toMatchObject({ code: 1 });
      const pool = await alice('flickr.groups.pools.getPhotos', { group_id: FAKE_GROUP_ID });
      expect(pool.photos.photo.map((p: { id: string }) => p.id)).not.toContain(doomed);
    });
  });

  it('every catalogued method answers Flickr JSON (stat ok, or a Flickr error other than 112), never a crash', async () => {
    // A token minted directly (no OAuth dance), with every permission.
    const token = fake.issueToken({ perms: 'delete' });
    expect(fake.tokenInfo(token.oauthToken)).toEqual({ consumerKey: fake.consumerKey, nsid: '12345678@N00', perms: 'delete', revoked: false });
    const anyone = createFlickr({ consumerKey: fake.consumerKey, consumerSecret: fake.consumerSecret, ...token }, transport).flickr as unknown as RestCaller;
    // Its own photo: the sweep deletes what it is given.
    const values: Record<string, string> = { photo_id: fake.addPhoto({ title: 'swept' }).id, user_id: '12345678@N00', group_id: FAKE_GROUP_ID, lat: '1', lon: '2', url: 'https://www.flickr.com/photos/bob/' };
    const answers = new Map<string, unknown>();
    for (const method of CATALOGUE.values()) {
      const params = Object.fromEntries(method.params.filter((p) => p.required).map((p) => [p.name, values[p.name] ?? '1']));
      const answer = (await anyone(method.name, params).catch((e: { cause?: unknown; message?: string }) => e.cause ?? e.message)) as { stat?: string; code?: number };
      if (answer?.stat !== 'ok' && !(answer?.stat === 'fail' && answer.code !== 112)) answers.set(method.name, answer);
    }
    expect(CATALOGUE.size).toBeGreaterThanOrEqual(200);
    expect(Object.fromEntries(answers)).toEqual({});
  });

  describe('several apps (consumer keys)', () => {
    it('each app signs with its own secret; tokens are bound to the app that obtained them', async () => {
      const appC = fake.addConsumer();
      const viaB = await connectWithSdk(fake, transport, { consumerKey: 'app-b-key', consumerSecret: 'app-b-secret' });
      const viaC = await connectWithSdk(fake, transport, appC);
      expect(fake.tokenInfo(viaB.oauthToken)).toMatchObject({ consumerKey: 'app-b-key', nsid: '12345678@N00', perms: 'write' });
      expect(fake.tokenInfo(viaC.oauthToken)?.consumerKey).toBe(appC.consumerKey);
      await expect(viaB.call('flickr.test.login', {})).resolves.toMatchObject({ stat: 'ok', user: { id: '12345678@N00' } });
      await expect(viaC.call('flickr.test.login', {})).resolves.toMatchObject({ stat: 'ok' });

      // B's token presented by app C, correctly signed with C's secret and the token's secret: Flickr refuses the token.
      const crossed = createFlickr({ ...appC, oauthToken: viaB.oauthToken, oauthTokenSecret: viaB.oauthTokenSecret }, transport).flickr as unknown as RestCaller;
      expect(await failure(crossed('flickr.test.login', {}))).toEqual({ stat: 'fail', code: 98, message: 'Invalid auth token' });
      // B's key with C's secret: the signature does not verify.
      const forged = createFlickr({ consumerKey: 'app-b-key', consumerSecret: appC.consumerSecret, oauthToken: viaB.oauthToken, oauthTokenSecret: viaB.oauthTokenSecret }, transport)
        .flickr as unknown as RestCaller;
      expect(await failure(forged('flickr.test.login', {}))).toMatchObject({ code: 96 });
      // An app Flickr does not know.
      const stranger = createFlickr({ consumerKey: 'nobody', consumerSecret: 'x', oauthToken: viaB.oauthToken, oauthTokenSecret: viaB.oauthTokenSecret }, transport)
        .flickr as unknown as RestCaller;
      expect(await failure(stranger('flickr.test.login', {}))).toMatchObject({ code: 100 });
    });

    it("a request token cannot be exchanged by another app", async () => {
      const b = { consumerKey: 'app-b-key', consumerSecret: 'app-b-secret' };
      const { oauth } = createFlickr({ ...b, oauthToken: false, oauthTokenSecret: false }, transport);
      const { requestToken, requestTokenSecret } = await oauth.request('oob');
      const verifier = fake.approve(requestToken, '12345678@N00', 'write');
      const thief = createFlickr({ consumerKey: fake.consumerKey, consumerSecret: fake.consumerSecret, oauthToken: requestToken, oauthTokenSecret: requestTokenSecret }, transport);
      await expect(thief.oauth.verify(verifier)).rejects.toThrow();
      // The rightful app still can.
      const owner = createFlickr({ ...b, oauthToken: requestToken, oauthTokenSecret: requestTokenSecret }, transport);
      await expect(owner.oauth.verify(verifier)).resolves.toMatchObject({ nsid: '12345678@N00' });
    });

    it('counters count per app and per method; a 429 for one app leaves the others served', async () => {
      const appD = fake.addConsumer();
      const d = await connectWithSdk(fake, transport, appD);
      const b = await connectWithSdk(fake, transport, { consumerKey: 'app-b-key', consumerSecret: 'app-b-secret' });
      // request_token + access_token, both signed with D's key.
      expect(fake.calls(appD.consumerKey)).toBe(2);
      const [allBefore, bBefore, loginBefore, loginByD] = [fake.calls(), fake.calls('app-b-key'), fake.callsTo('flickr.test.login'), fake.callsTo('flickr.test.login', appD.consumerKey)];

      await d.call('flickr.test.login', {});
      await d.call('flickr.people.getInfo', { user_id: '12345678@N00' });
      fake.rateLimit({ consumerKey: appD.consumerKey, times: 2 });
      await expect(d.call('flickr.test.login', {})).rejects.toThrow();
      await expect(b.call('flickr.test.login', {})).resolves.toMatchObject({ stat: 'ok' });
      await expect(d.call('flickr.test.login', {})).rejects.toThrow();
      await expect(d.call('flickr.test.login', {})).resolves.toMatchObject({ stat: 'ok' });

      expect(fake.calls(appD.consumerKey)).toBe(2 + 5);
      expect(fake.callsTo('flickr.test.login', appD.consumerKey) - loginByD).toBe(4);
      expect(fake.callsTo('flickr.people.getInfo', appD.consumerKey)).toBe(1);
      expect(fake.callsTo('flickr.test.login') - loginBefore).toBe(5);
      expect(fake.calls('app-b-key') - bBefore).toBe(1);
      expect(fake.calls() - allBefore).toBe(6);
    });
  });
});
