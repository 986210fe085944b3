import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { classOf, generateCatalogue } from '../../scripts/flickr-catalogue';
import type { FlickrCatalogueFile } from '../../src/flickr/flickr.methods';

const CHECKED_IN = join(__dirname, '..', '..', 'src', 'flickr', 'flickr.catalogue.json');

describe('the Flickr method catalogue (generated from flickr-sdk)', () => {
  const checkedIn = JSON.parse(readFileSync(CHECKED_IN, 'utf8')) as FlickrCatalogueFile;

  it('equals what the installed flickr-sdk generates (re-run scripts/flickr-catalogue.ts after an SDK upgrade)', () => {
    expect(checkedIn).toEqual(generateCatalogue());
  });

  it('holds at least 200 methods, each with a permission', () => {
    expect(checkedIn.methods.length).toBeGreaterThanOrEqual(200);
    for (const m of checkedIn.methods) expect(['none', 'read', 'write', 'delete']).toContain(m.permission);
    expect(new Set(checkedIn.methods.map((m) => m.name)).size).toBe(checkedIn.methods.length);
  });

  it('reads permissions and required parameters as Flickr documents them', () => {
    const byName = new Map(checkedIn.methods.map((m) => [m.name, m]));
    expect(byName.get('flickr.photos.getSizes')).toMatchObject({ permission: 'none', params: [{ name: 'photo_id', required: true }] });
    expect(byName.get('flickr.photos.delete')).toMatchObject({ permission: 'delete' });
    expect(byName.get('flickr.photos.addTags')?.params.map((p) => [p.name, p.required])).toEqual([
      ['photo_id', true],
      ['tags', true],
    ]);
    const search = byName.get('flickr.photos.search')!;
    expect(search.permission).toBe('none');
    expect(search.params.every((p) => !p.required)).toBe(true);
    expect(byName.get('flickr.photosets.getPhotos')?.params.find((p) => p.name === 'photoset_id')?.required).toBe(true);
  });

  describe("the gateway's rules", () => {
    const byName = new Map(checkedIn.methods.map((m) => [m.name, m]));
    const get = (name: string) => {
      const m = byName.get(name);
      if (!m) throw new Error(`${name} is not in the catalogue`);
      return m;
    };

    it('classes every method needing write or delete as a write, and reads by verb', () => {
      for (const m of checkedIn.methods) {
        if (m.permission === 'write' || m.permission === 'delete') expect({ name: m.name, class: m.class }).toEqual({ name: m.name, class: 'write' });
      }
      expect(get('flickr.photos.delete').class).toBe('write');
      expect(get('flickr.photos.search').class).toBe('read');
      expect(get('flickr.urls.lookupUser').class).toBe('read');
      expect(get('flickr.test.login').class).toBe('read');
      // Needs only `read`, but changes the user's subscriptions.
      expect(get('flickr.push.subscribe')).toMatchObject({ permission: 'read', class: 'write' });
      expect(classOf('flickr.example.frobnicate', 'none')).toBe('write');
      expect(classOf('flickr.example.getThing', 'none')).toBe('read');
    });

    it('marks reads idempotent and only state-setting writes; creations and relative changes are not', () => {
      for (const m of checkedIn.methods.filter((x) => x.class === 'read')) expect(m.idempotent).toBe(true);
      expect(get('flickr.photos.setMeta').idempotent).toBe(true);
      expect(get('flickr.photos.delete').idempotent).toBe(true);
      expect(get('flickr.favorites.add').idempotent).toBe(true);
      expect(get('flickr.photosets.create').idempotent).toBe(false);
      expect(get('flickr.photos.comments.addComment').idempotent).toBe(false);
      expect(get('flickr.photos.notes.add').idempotent).toBe(false);
      expect(get('flickr.photos.transform.rotate').idempotent).toBe(false);
    });

    it('gives reads a cache TTL by family (longest match) and writes none', () => {
      for (const m of checkedIn.methods.filter((x) => x.class === 'write')) expect(m.cacheTtlSeconds).toBe(0);
      expect(get('flickr.urls.lookupUser').cacheTtlSeconds).toBe(86_400);
      expect(get('flickr.places.find').cacheTtlSeconds).toBe(3_600);
      expect(get('flickr.places.placesForUser').cacheTtlSeconds).toBe(300);
      expect(get('flickr.photos.search').cacheTtlSeconds).toBe(60);
      expect(get('flickr.photosets.getList').cacheTtlSeconds).toBe(120);
      expect(get('flickr.photos.upload.checkTickets').cacheTtlSeconds).toBe(0);
    });

    it('owns the auth methods and the credential-echoing test method, each with a reason; everything else is proxied', () => {
      const owned = checkedIn.methods.filter((m) => m.gatewayOwned).map((m) => m.name);
      expect(owned).toEqual([
        'flickr.auth.checkToken',
        'flickr.auth.getFrob',
        'flickr.auth.getFullToken',
        'flickr.auth.getToken',
        'flickr.auth.oauth.checkToken',
        'flickr.auth.oauth.getAccessToken',
        'flickr.test.echo',
      ]);
      expect(get('flickr.auth.oauth.getAccessToken').gatewayOwned).toMatch(/POST \/v1\/oauth\/start/);
      expect(get('flickr.test.echo').gatewayOwned).toMatch(/access token/);
      expect(get('flickr.photos.upload.checkTickets').gatewayOwned).toBeUndefined();
    });
  });
});
