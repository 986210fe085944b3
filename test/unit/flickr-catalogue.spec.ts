import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CatalogueMethod, generateCatalogue } from '../../scripts/flickr-catalogue';

const CHECKED_IN = join(__dirname, '..', '..', 'src', 'flickr', 'flickr.catalogue.json');

describe('the Flickr method catalogue (generated from flickr-sdk)', () => {
  const checkedIn = JSON.parse(readFileSync(CHECKED_IN, 'utf8')) as { sdkVersion: string; methods: CatalogueMethod[] };

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
});
