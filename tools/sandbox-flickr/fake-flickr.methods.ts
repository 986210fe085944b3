import catalogue from '../../src/flickr/flickr.catalogue.json';
import { cleanTag, type FakePhoto, type FakeWorld, FlickrFail, paginate, parseTags } from './fake-flickr.world';

/**
 * The REST methods of the fake Flickr: Flickr's catalogue (the checked-in
 * src/flickr/flickr.catalogue.json, generated from flickr-sdk) says which
 * methods exist, their permission and required arguments; the handlers below
 * answer them from the in-memory world with Flickr's JSON shapes.
 *
 * Methods in the catalogue without a handler here (stats, places, prefs,
 * testimonials, push, blogs, contacts, collections, machinetags, cameras,
 * commons, panda, interestingness, activity, profile, groups.discuss,
 * photos.suggestions, photosets.comments edit, ...) get the generic answer:
 * `{"stat":"ok"}` for writes, and for reads an empty Flickr list
 * `{"stat":"ok","<noun>":{"page":1,"pages":1,"perpage":100,"total":0}}` —
 * Flickr-shaped, so a client can parse it, but with no data to assert on.
 */

export type Permission = 'none' | 'read' | 'write' | 'delete';

export interface CatalogueMethod {
  name: string;
  permission: Permission;
  params: Array<{ name: string; required: boolean }>;
}

/** Every method Flickr has, by name. */
export const CATALOGUE: ReadonlyMap<string, CatalogueMethod> = new Map(
  (catalogue as { methods: CatalogueMethod[] }).methods.map((m) => [m.name, m]),
);

/** What a handler sees of a call. */
export interface RestCall {
  method: string;
  /** Flat parameters (the last value of a repeated one). */
  p: Record<string, string>;
  /** The calling user's nsid, when the call carried an access token. */
  me?: string;
  world: FakeWorld;
}

type Handler = (c: RestCall) => Record<string, unknown>;

/** The caller, for methods that act on "the calling user". */
function me(c: RestCall): string {
  if (!c.me) throw new FlickrFail(99, 'Insufficient permissions. Method requires read privileges; none granted.');
  return c.me;
}

/** `user_id` or, when absent (or `me`), the caller. */
function userOf(c: RestCall): string {
  const id = c.p.user_id && c.p.user_id !== 'me' ? c.p.user_id : c.me;
  if (!id) throw new FlickrFail(1, 'User not found');
  return c.world.user(id).nsid;
}

const bool = (v: string | undefined) => (v === '1' || v === 'true' ? 1 : 0);
const visibleTo = (viewer: string | undefined) => (p: FakePhoto) => p.ispublic === 1 || p.owner === viewer;
const newestFirst = (a: FakePhoto, b: FakePhoto) => b.dateupload - a.dateupload || b.id.localeCompare(a.id);
const ids = (text: string | undefined) => (text ?? '').split(',').map((s) => s.trim()).filter(Boolean);

/** Flickr's search filters that the fake understands (others are accepted and ignored). */
function search(c: RestCall): FakePhoto[] {
  const { p, world } = c;
  let photos = [...world.photos.values()].filter(visibleTo(c.me));
  if (p.user_id) {
    const owner = p.user_id === 'me' ? c.me : p.user_id;
    photos = photos.filter((x) => x.owner === owner);
  }
  if (p.text) {
    const text = p.text.toLowerCase();
    photos = photos.filter((x) => x.title.toLowerCase().includes(text) || x.description.toLowerCase().includes(text) || x.tags.some((t) => t.clean === text));
  }
  if (p.tags) {
    const wanted = p.tags.split(',').map((t) => cleanTag(t.trim())).filter(Boolean);
    const has = (x: FakePhoto, t: string) => x.tags.some((tag) => tag.clean === t);
    photos = photos.filter((x) => (p.tag_mode === 'all' ? wanted.every((t) => has(x, t)) : wanted.some((t) => has(x, t))));
  }
  // Machine tags (namespace:predicate=value), matched exactly as the upload worker uses them.
  const machine = (p.machine_tags ?? '').split(',').map((t) => t.trim()).filter(Boolean);
  if (machine.length) {
    const has = (x: FakePhoto, t: string) => x.tags.some((tag) => tag.raw === t);
    photos = photos.filter((x) => (p.machine_tag_mode === 'any' ? machine.some((t) => has(x, t)) : machine.every((t) => has(x, t))));
  }
  if (p.group_id) {
    const pool = new Set(world.group(p.group_id).pool.map((e) => e.photo));
    photos = photos.filter((x) => pool.has(x.id));
  }
  if (p.has_geo) photos = photos.filter((x) => Boolean(x.geo) === (p.has_geo === '1'));
  if (p.min_upload_date) photos = photos.filter((x) => x.dateupload >= Number(p.min_upload_date));
  if (p.max_upload_date) photos = photos.filter((x) => x.dateupload <= Number(p.max_upload_date));
  return photos.sort(newestFirst);
}

/** Photos near a point (rough: within `radius` km, default 5), for search lat/lon and geo.photosForLocation. */
function near(photos: FakePhoto[], lat: number, lon: number, km = 5): FakePhoto[] {
  return photos.filter((x) => x.geo && Math.hypot(x.geo.latitude - lat, (x.geo.longitude - lon) * Math.cos((lat * Math.PI) / 180)) * 111 <= km);
}

function ownSet(c: RestCall) {
  const set = c.world.photoset(c.p.photoset_id);
  if (set.owner !== me(c)) throw new FlickrFail(1, 'Photoset not found');
  return set;
}

function ownGallery(c: RestCall) {
  const gallery = c.world.gallery(c.p.gallery_id);
  if (gallery.owner !== me(c)) throw new FlickrFail(1, 'Invalid gallery ID');
  return gallery;
}

function findComment(c: RestCall) {
  for (const photo of c.world.photos.values()) {
    const comment = photo.comments.find((x) => x.id === c.p.comment_id);
    if (comment) return { photo, comment };
  }
  throw new FlickrFail(2, 'Comment not found');
}

function setGeoPerms(photo: FakePhoto, p: Record<string, string>) {
  photo.geoperms = { ispublic: bool(p.is_public), iscontact: bool(p.is_contact), isfriend: bool(p.is_friend), isfamily: bool(p.is_family) };
}

function coordinate(value: string | undefined, limit: number, code: number, what: string): number {
  const n = Number(value);
  if (value === undefined || value === '' || !Number.isFinite(n) || Math.abs(n) > limit) throw new FlickrFail(code, `Not a valid ${what}`);
  return n;
}

const LICENSES = [
  [0, 'All Rights Reserved', ''],
  [1, 'Attribution-NonCommercial-ShareAlike License', 'https://creativecommons.org/licenses/by-nc-sa/2.0/'],
  [2, 'Attribution-NonCommercial License', 'https://creativecommons.org/licenses/by-nc/2.0/'],
  [3, 'Attribution-NonCommercial-NoDerivs License', 'https://creativecommons.org/licenses/by-nc-nd/2.0/'],
  [4, 'Attribution License', 'https://creativecommons.org/licenses/by/2.0/'],
  [5, 'Attribution-ShareAlike License', 'https://creativecommons.org/licenses/by-sa/2.0/'],
  [6, 'Attribution-NoDerivs License', 'https://creativecommons.org/licenses/by-nd/2.0/'],
  [7, 'No known copyright restrictions', 'https://www.flickr.com/commons/usage/'],
  [8, 'United States Government Work', 'http://www.usa.gov/copyright.shtml'],
  [9, 'Public Domain Dedication (CC0)', 'https://creativecommons.org/publicdomain/zero/1.0/'],
  [10, 'Public Domain Mark', 'https://creativecommons.org/publicdomain/mark/1.0/'],
] as const;

/** Tag counts over a set of photos, most used first. */
function tagCounts(photos: FakePhoto[]): Array<[string, number]> {
  const counts = new Map<string, number>();
  for (const photo of photos) for (const t of photo.tags) counts.set(t.clean, (counts.get(t.clean) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

/** Parses a flickr.com URL the way urls.lookup* do. */
function flickrPath(url: string | undefined): string[] {
  try {
    return new URL(url ?? '', 'https://www.flickr.com').pathname.split('/').filter(Boolean);
  } catch {
    return [];
  }
}

export const HANDLERS: Record<string, Handler> = {
  // ---- test ----
  'flickr.test.login': (c) => {
    const user = c.world.user(me(c));
    return { user: { id: user.nsid, username: { _content: user.username }, path_alias: null } };
  },
  'flickr.test.echo': (c) => Object.fromEntries(Object.entries(c.p).filter(([k]) => !k.startsWith('oauth_')).map(([k, v]) => [k, { _content: v }])),
  'flickr.test.null': () => ({}),
  'flickr.reflection.getMethods': () => ({ methods: { method: [...CATALOGUE.keys()].map((_content) => ({ _content })) } }),
  'flickr.reflection.getMethodInfo': (c) => {
    const m = CATALOGUE.get(c.p.method_name ?? '');
    if (!m) throw new FlickrFail(1, 'Method not found');
    return {
      method: { name: m.name, needslogin: m.permission === 'none' ? 0 : 1, requiredperms: ['none', 'read', 'write', 'delete'].indexOf(m.permission) },
      arguments: { argument: m.params.map((a) => ({ name: a.name, optional: a.required ? 0 : 1 })) },
    };
  },

  // ---- photos ----
  'flickr.photos.search': (c) => {
    let photos = search(c);
    if (c.p.lat && c.p.lon) photos = near(photos, Number(c.p.lat), Number(c.p.lon), Number(c.p.radius) || 5);
    return { photos: c.world.photoList(photos, c.p) };
  },
  'flickr.photos.getInfo': (c) => ({ photo: c.world.photoInfo(c.world.photo(c.p.photo_id, c.me), c.me) }),
  'flickr.photos.getSizes': (c) => ({ sizes: { canblog: 0, canprint: 0, candownload: 1, size: c.world.sizes(c.world.photo(c.p.photo_id, c.me)) } }),
  'flickr.photos.getExif': (c) => {
    const photo = c.world.photo(c.p.photo_id, c.me);
    return {
      photo: {
        id: photo.id,
        secret: photo.secret,
        server: photo.server,
        farm: photo.farm,
        camera: 'Fake Camera',
        exif: [{ tagspace: 'ExifIFD0', tagspaceid: 0, tag: 'Make', label: 'Make', raw: { _content: 'Fake' } }],
      },
    };
  },
  'flickr.photos.getRecent': (c) => ({ photos: c.world.photoList(search({ ...c, p: { extras: c.p.extras } }), c.p) }),
  'flickr.photos.getPopular': (c) => ({ photos: c.world.photoList(search({ ...c, p: { user_id: userOf(c) } }).sort((a, b) => b.faves.size - a.faves.size), c.p) }),
  'flickr.photos.getNotInSet': (c) => {
    const inSets = new Set([...c.world.photosets.values()].flatMap((s) => s.photos));
    return { photos: c.world.photoList(search({ ...c, p: { user_id: me(c) } }).filter((x) => !inSets.has(x.id)), c.p) };
  },
  'flickr.photos.getUntagged': (c) => ({ photos: c.world.photoList(search({ ...c, p: { user_id: me(c) } }).filter((x) => !x.tags.length), c.p) }),
  'flickr.photos.getWithGeoData': (c) => ({ photos: c.world.photoList(search({ ...c, p: { user_id: me(c) } }).filter((x) => x.geo), c.p) }),
  'flickr.photos.getWithoutGeoData': (c) => ({ photos: c.world.photoList(search({ ...c, p: { user_id: me(c) } }).filter((x) => !x.geo), c.p) }),
  'flickr.photos.recentlyUpdated': (c) => ({
    photos: c.world.photoList(search({ ...c, p: { user_id: me(c) } }).filter((x) => x.lastupdate >= Number(c.p.min_date)), c.p),
  }),
  'flickr.photos.getContactsPhotos': () => ({ photos: { photo: [] } }),
  'flickr.photos.getContactsPublicPhotos': (c) => (userOf(c), { photos: { photo: [] } }),
  'flickr.photos.getCounts': (c) => {
    const mine = search({ ...c, p: { user_id: me(c) } });
    const dates = ids(c.p.dates).map(Number).sort((a, b) => a - b);
    const photocount = dates.slice(1).map((to, i) => ({ count: mine.filter((x) => x.dateupload >= dates[i] && x.dateupload < to).length, fromdate: dates[i], todate: to }));
    return { photocounts: { photocount } };
  },
  'flickr.photos.getContext': (c) => {
    const photo = c.world.photo(c.p.photo_id, c.me);
    const stream = search({ ...c, p: { user_id: photo.owner } }).map((x) => x.id);
    return c.world.context(stream, photo.id);
  },
  'flickr.photos.getAllContexts': (c) => {
    const photo = c.world.photo(c.p.photo_id, c.me);
    const set = [...c.world.photosets.values()].filter((s) => s.photos.includes(photo.id)).map((s) => ({ id: s.id, title: s.title, primary: s.primary, view_count: 0, comment_count: s.comments.length, count_photo: s.photos.length }));
    const pool = [...c.world.groups.values()].filter((g) => g.pool.some((e) => e.photo === photo.id)).map((g) => ({ id: g.nsid, title: g.name, url: `/groups/${g.pathAlias}/pool/`, members: String(g.members.size), pool_count: String(g.pool.length) }));
    return { set, pool };
  },
  'flickr.photos.getFavorites': (c) => {
    const photo = c.world.photo(c.p.photo_id, c.me);
    const faves = [...photo.faves].sort((a, b) => b[1] - a[1]);
    const { items, ...paging } = paginate(faves, c.p, 10, 50);
    const person = items.map(([nsid, favedate]) => ({ nsid, username: c.world.users.get(nsid)?.username ?? '', realname: c.world.users.get(nsid)?.fullname ?? '', favedate: String(favedate) }));
    return { photo: { person, id: photo.id, secret: photo.secret, server: photo.server, farm: photo.farm, ...paging } };
  },
  'flickr.photos.getPerms': (c) => {
    const photo = c.world.ownPhoto(c.p.photo_id, me(c));
    return { perms: { id: photo.id, ispublic: photo.ispublic, isfriend: photo.isfriend, isfamily: photo.isfamily, permcomment: photo.permComment, permaddmeta: photo.permAddmeta } };
  },
  'flickr.photos.setPerms': (c) => {
    const photo = c.world.ownPhoto(c.p.photo_id, me(c));
    Object.assign(photo, { ispublic: bool(c.p.is_public), isfriend: bool(c.p.is_friend), isfamily: bool(c.p.is_family), lastupdate: c.world.now() });
    if (c.p.perm_comment) photo.permComment = Number(c.p.perm_comment);
    if (c.p.perm_addmeta) photo.permAddmeta = Number(c.p.perm_addmeta);
    return { photoid: { secret: photo.secret, originalsecret: photo.secret, _content: photo.id } };
  },
  'flickr.photos.setMeta': (c) => {
    const photo = c.world.ownPhoto(c.p.photo_id, me(c));
    if (c.p.title !== undefined) photo.title = c.p.title;
    if (c.p.description !== undefined) photo.description = c.p.description;
    photo.lastupdate = c.world.now();
    return {};
  },
  'flickr.photos.setDates': (c) => {
    const photo = c.world.ownPhoto(c.p.photo_id, me(c));
    if (c.p.date_posted) photo.dateupload = Number(c.p.date_posted);
    if (c.p.date_taken) photo.datetaken = c.p.date_taken;
    return {};
  },
  'flickr.photos.setSafetyLevel': (c) => {
    const photo = c.world.ownPhoto(c.p.photo_id, me(c));
    if (c.p.safety_level) photo.safetyLevel = Number(c.p.safety_level);
    if (c.p.hidden) photo.hidden = Number(c.p.hidden);
    return {};
  },
  'flickr.photos.setContentType': (c) => {
    const photo = c.world.ownPhoto(c.p.photo_id, me(c));
    if (!['1', '2', '3'].includes(c.p.content_type)) throw new FlickrFail(2, 'Invalid content type');
    photo.contentType = Number(c.p.content_type);
    return { photo: { id: photo.id, secret: photo.secret, originalsecret: photo.secret } };
  },
  'flickr.photos.delete': (c) => {
    c.world.deletePhoto(c.world.ownPhoto(c.p.photo_id, me(c)));
    return {};
  },
  'flickr.photos.addTags': (c) => {
    const photo = c.world.photo(c.p.photo_id, me(c));
    c.world.addTags(photo, me(c), parseTags(c.p.tags));
    return { tags: { tag: photo.tags.map((t) => ({ full_tag_id: t.id, tag_id: t.id.split('-').pop(), _content: t.raw })) } };
  },
  'flickr.photos.setTags': (c) => {
    const photo = c.world.ownPhoto(c.p.photo_id, me(c));
    photo.tags = [];
    c.world.addTags(photo, me(c), parseTags(c.p.tags));
    return {};
  },
  'flickr.photos.removeTag': (c) => {
    for (const photo of c.world.photos.values()) {
      const tag = photo.tags.find((t) => t.id === c.p.tag_id);
      if (!tag) continue;
      if (tag.author !== me(c) && photo.owner !== me(c)) throw new FlickrFail(1, 'Photo not found');
      photo.tags = photo.tags.filter((t) => t !== tag);
      return {};
    }
    throw new FlickrFail(1, 'Photo not found');
  },
  'flickr.photos.transform.rotate': (c) => {
    const photo = c.world.ownPhoto(c.p.photo_id, me(c));
    if (!['90', '180', '270'].includes(c.p.degrees)) throw new FlickrFail(2, 'Invalid rotation');
    photo.rotation = (photo.rotation + Number(c.p.degrees)) % 360;
    return { photo_id: { secret: photo.secret, originalsecret: photo.secret, _content: photo.id } };
  },
  'flickr.photos.upload.checkTickets': (c) => {
    const ticket = ids(c.p.tickets).map((id) => {
      const t = c.world.tickets.get(id);
      if (!t) return { id, invalid: 1 };
      if (t.complete === 0 && Date.now() >= t.readyAt) t.complete = 1;
      return t.complete === 1 ? { id, complete: 1, photoid: t.photoid, imported: Math.floor(Date.now() / 1000) } : { id, complete: t.complete };
    });
    return { uploader: { ticket } };
  },

  // ---- photos.licenses ----
  'flickr.photos.licenses.getInfo': () => ({ licenses: { license: LICENSES.map(([id, name, url]) => ({ id, name, url })) } }),
  'flickr.photos.licenses.setLicense': (c) => {
    const photo = c.world.ownPhoto(c.p.photo_id, me(c));
    if (!LICENSES.some(([id]) => String(id) === c.p.license_id)) throw new FlickrFail(2, 'License not found');
    photo.license = c.p.license_id;
    return {};
  },
  'flickr.photos.licenses.getLicenseHistory': (c) => {
    const photo = c.world.photo(c.p.photo_id, c.me);
    return { license_history: [{ date_change: photo.dateupload, old_license: '', old_license_url: '', new_license: LICENSES[Number(photo.license)]?.[1] ?? '', new_license_url: '' }] };
  },

  // ---- photos.notes / photos.people ----
  'flickr.photos.notes.add': (c) => {
    const photo = c.world.photo(c.p.photo_id, me(c));
    const note = { id: c.world.nextId('72157'), author: me(c), x: Number(c.p.note_x), y: Number(c.p.note_y), w: Number(c.p.note_w), h: Number(c.p.note_h), text: c.p.note_text };
    photo.notes.push(note);
    return { note: { id: note.id } };
  },
  'flickr.photos.notes.edit': (c) => {
    const note = [...c.world.photos.values()].flatMap((p) => p.notes).find((n) => n.id === c.p.note_id && n.author === me(c));
    if (!note) throw new FlickrFail(1, 'Note not found');
    Object.assign(note, { x: Number(c.p.note_x), y: Number(c.p.note_y), w: Number(c.p.note_w), h: Number(c.p.note_h), text: c.p.note_text });
    return {};
  },
  'flickr.photos.notes.delete': (c) => {
    for (const photo of c.world.photos.values()) {
      const note = photo.notes.find((n) => n.id === c.p.note_id && (n.author === me(c) || photo.owner === me(c)));
      if (note) {
        photo.notes = photo.notes.filter((n) => n !== note);
        return {};
      }
    }
    throw new FlickrFail(1, 'Note not found');
  },
  'flickr.photos.people.add': (c) => {
    c.world.photo(c.p.photo_id, me(c)).people.add(c.world.user(c.p.user_id).nsid);
    return {};
  },
  'flickr.photos.people.delete': (c) => {
    c.world.photo(c.p.photo_id, me(c)).people.delete(c.p.user_id);
    return {};
  },
  'flickr.photos.people.deleteCoords': (c) => (c.world.photo(c.p.photo_id, me(c)), {}),
  'flickr.photos.people.editCoords': (c) => (c.world.photo(c.p.photo_id, me(c)), {}),
  'flickr.photos.people.getList': (c) => {
    const photo = c.world.photo(c.p.photo_id, c.me);
    const person = [...photo.people].map((nsid) => ({ nsid, username: c.world.users.get(nsid)?.username ?? '', realname: c.world.users.get(nsid)?.fullname ?? '', added_by: photo.owner }));
    return { people: { total: person.length, photo_width: 2048, photo_height: 1536, person } };
  },

  // ---- photos.comments ----
  'flickr.photos.comments.getList': (c) => {
    const photo = c.world.photo(c.p.photo_id, c.me);
    const min = Number(c.p.min_comment_date) || 0;
    const max = Number(c.p.max_comment_date) || Infinity;
    const comment = photo.comments.filter((x) => x.date >= min && x.date <= max).map((x) => c.world.comment(x, c.world.photoPage(photo)));
    return { comments: { photo_id: photo.id, comment } };
  },
  'flickr.photos.comments.addComment': (c) => {
    const photo = c.world.photo(c.p.photo_id, me(c));
    if (!c.p.comment_text.trim()) throw new FlickrFail(8, 'Blank comment');
    const comment = { id: `${photo.owner.split('@')[0]}-${photo.id}-${c.world.nextId('72157')}`, author: me(c), text: c.p.comment_text, date: c.world.now() };
    photo.comments.push(comment);
    return { comment: { id: comment.id, permalink: c.world.comment(comment, c.world.photoPage(photo)).permalink } };
  },
  'flickr.photos.comments.editComment': (c) => {
    const { comment } = findComment(c);
    if (comment.author !== me(c)) throw new FlickrFail(2, 'Comment not found');
    if (!c.p.comment_text.trim()) throw new FlickrFail(8, 'Blank comment');
    comment.text = c.p.comment_text;
    return {};
  },
  'flickr.photos.comments.deleteComment': (c) => {
    const { photo, comment } = findComment(c);
    if (comment.author !== me(c) && photo.owner !== me(c)) throw new FlickrFail(2, 'Comment not found');
    photo.comments = photo.comments.filter((x) => x !== comment);
    return {};
  },
  'flickr.photos.comments.getRecentForContacts': () => ({ photos: { page: 1, pages: 1, perpage: 100, total: 0, photo: [] } }),

  // ---- photos.geo ----
  'flickr.photos.geo.getLocation': (c) => {
    const photo = c.world.photo(c.p.photo_id, c.me);
    if (!photo.geo || (!photo.geoperms.ispublic && photo.owner !== c.me)) throw new FlickrFail(2, 'Photo has no location information.');
    return { photo: { id: photo.id, location: c.world.location(photo) } };
  },
  'flickr.photos.geo.setLocation': (c) => {
    const photo = c.world.ownPhoto(c.p.photo_id, me(c));
    const latitude = coordinate(c.p.lat, 90, 3, 'latitude');
    const longitude = coordinate(c.p.lon, 180, 4, 'longitude');
    const accuracy = c.p.accuracy ? Number(c.p.accuracy) : 16;
    if (!(accuracy >= 1 && accuracy <= 16)) throw new FlickrFail(5, 'Not a valid accuracy');
    photo.geo = { latitude, longitude, accuracy, context: Number(c.p.context ?? 0) };
    return {};
  },
  'flickr.photos.geo.removeLocation': (c) => {
    const photo = c.world.ownPhoto(c.p.photo_id, me(c));
    if (!photo.geo) throw new FlickrFail(2, 'Photo has no location information.');
    photo.geo = undefined;
    return {};
  },
  'flickr.photos.geo.setContext': (c) => {
    const photo = c.world.ownPhoto(c.p.photo_id, me(c));
    if (!photo.geo) throw new FlickrFail(2, 'Photo has no location information.');
    if (!['0', '1', '2'].includes(c.p.context)) throw new FlickrFail(3, 'Not a valid context');
    photo.geo.context = Number(c.p.context);
    return {};
  },
  'flickr.photos.geo.getPerms': (c) => {
    const photo = c.world.ownPhoto(c.p.photo_id, me(c));
    return { perms: { id: photo.id, ...photo.geoperms } };
  },
  'flickr.photos.geo.setPerms': (c) => {
    setGeoPerms(c.world.ownPhoto(c.p.photo_id, me(c)), c.p);
    return {};
  },
  'flickr.photos.geo.correctLocation': (c) => (c.world.ownPhoto(c.p.photo_id, me(c)), {}),
  'flickr.photos.geo.batchCorrectLocation': (c) => {
    const lat = coordinate(c.p.lat, 90, 3, 'latitude');
    const lon = coordinate(c.p.lon, 180, 4, 'longitude');
    for (const photo of near(search({ ...c, p: { user_id: me(c) } }), lat, lon, 1)) photo.geo = { ...photo.geo!, latitude: lat, longitude: lon };
    return {};
  },
  'flickr.photos.geo.photosForLocation': (c) => {
    const photos = near(search({ ...c, p: { user_id: me(c) } }), coordinate(c.p.lat, 90, 3, 'latitude'), coordinate(c.p.lon, 180, 4, 'longitude'), 0.1);
    if (!photos.length) throw new FlickrFail(1, 'No photos found');
    return { photos: c.world.photoList(photos, c.p) };
  },

  // ---- photosets ----
  'flickr.photosets.create': (c) => {
    const primary = c.world.photos.get(c.p.primary_photo_id);
    if (!primary || primary.owner !== me(c)) throw new FlickrFail(2, 'Photo not found');
    if (!c.p.title.trim()) throw new FlickrFail(1, 'No title specified');
    const t = c.world.now();
    const set = { id: c.world.nextId('72157'), owner: me(c), title: c.p.title, description: c.p.description ?? '', primary: primary.id, photos: [primary.id], created: t, updated: t, comments: [] };
    c.world.photosets.set(set.id, set);
    const alias = c.world.users.get(set.owner)?.pathAlias ?? c.world.users.get(set.owner)?.username;
    return { photoset: { id: set.id, url: `https://www.flickr.com/photos/${alias}/albums/${set.id}` } };
  },
  'flickr.photosets.getList': (c) => {
    const owner = userOf(c);
    const sets = [...c.world.photosets.values()].filter((s) => s.owner === owner);
    const { items, ...paging } = paginate(sets, c.p, 500, 500);
    return { photosets: { ...paging, photoset: items.map((s) => c.world.photosetSummary(s)) } };
  },
  'flickr.photosets.getInfo': (c) => ({ photoset: c.world.photosetSummary(c.world.photoset(c.p.photoset_id)) }),
  'flickr.photosets.getPhotos': (c) => {
    const set = c.world.photoset(c.p.photoset_id);
    const photos = set.photos.map((id) => c.world.photos.get(id)).filter((p): p is FakePhoto => Boolean(p && visibleTo(c.me)(p)));
    const { page, pages, perpage, total, photo } = c.world.photoList(photos, { ...c.p, per_page: c.p.per_page || '500' }, (p, item) => (item.isprimary = p.id === set.primary ? '1' : '0'));
    const owner = c.world.users.get(set.owner);
    return { photoset: { id: set.id, primary: set.primary, owner: set.owner, ownername: owner?.username ?? '', photo, page, per_page: perpage, perpage, pages, title: set.title, total } };
  },
  'flickr.photosets.getContext': (c) => c.world.context(c.world.photoset(c.p.photoset_id).photos, c.world.photo(c.p.photo_id, c.me).id),
  'flickr.photosets.addPhoto': (c) => {
    const set = ownSet(c);
    const photo = c.world.ownPhoto(c.p.photo_id, me(c));
    if (set.photos.includes(photo.id)) throw new FlickrFail(3, 'Photo already in set');
    set.photos.push(photo.id);
    set.updated = c.world.now();
    return {};
  },
  'flickr.photosets.removePhoto': (c) => {
    const set = ownSet(c);
    if (!set.photos.includes(c.p.photo_id)) throw new FlickrFail(2, 'Photo not found');
    set.photos = set.photos.filter((id) => id !== c.p.photo_id);
    if (!set.photos.length) c.world.photosets.delete(set.id);
    else if (set.primary === c.p.photo_id) set.primary = set.photos[0];
    return {};
  },
  'flickr.photosets.removePhotos': (c) => {
    const set = ownSet(c);
    const gone = new Set(ids(c.p.photo_ids));
    set.photos = set.photos.filter((id) => !gone.has(id));
    if (!set.photos.length) c.world.photosets.delete(set.id);
    else if (gone.has(set.primary)) set.primary = set.photos[0];
    return {};
  },
  'flickr.photosets.reorderPhotos': (c) => {
    const set = ownSet(c);
    const order = ids(c.p.photo_ids).filter((id) => set.photos.includes(id));
    set.photos = [...order, ...set.photos.filter((id) => !order.includes(id))];
    return {};
  },
  'flickr.photosets.editPhotos': (c) => {
    const set = ownSet(c);
    const photos = ids(c.p.photo_ids);
    if (!photos.includes(c.p.primary_photo_id)) throw new FlickrFail(3, 'Primary photo not in list');
    for (const id of photos) c.world.ownPhoto(id, me(c));
    Object.assign(set, { photos, primary: c.p.primary_photo_id, updated: c.world.now() });
    return {};
  },
  'flickr.photosets.editMeta': (c) => {
    const set = ownSet(c);
    Object.assign(set, { title: c.p.title, description: c.p.description ?? set.description, updated: c.world.now() });
    return {};
  },
  'flickr.photosets.setPrimaryPhoto': (c) => {
    const set = ownSet(c);
    if (!set.photos.includes(c.p.photo_id)) throw new FlickrFail(2, 'Photo not found');
    set.primary = c.p.photo_id;
    return {};
  },
  'flickr.photosets.delete': (c) => {
    c.world.photosets.delete(ownSet(c).id);
    return {};
  },
  'flickr.photosets.orderSets': (c) => {
    const order = ids(c.p.photoset_ids);
    const entries = [...c.world.photosets.entries()];
    const rank = (id: string) => (order.includes(id) ? order.indexOf(id) : order.length);
    c.world.photosets.clear();
    for (const [id, set] of entries.sort((a, b) => rank(a[0]) - rank(b[0]))) c.world.photosets.set(id, set);
    return {};
  },
  'flickr.photosets.comments.getList': (c) => {
    const set = c.world.photoset(c.p.photoset_id);
    return { comments: { photoset_id: set.id, comment: set.comments.map((x) => c.world.comment(x, `https://www.flickr.com/photos/${set.owner}/albums/${set.id}/`)) } };
  },
  'flickr.photosets.comments.addComment': (c) => {
    const set = c.world.photoset(c.p.photoset_id);
    const comment = { id: `${set.owner.split('@')[0]}-${set.id}-${c.world.nextId('72157')}`, author: me(c), text: c.p.comment_text, date: c.world.now() };
    set.comments.push(comment);
    return { comment: { id: comment.id } };
  },

  // ---- people ----
  'flickr.people.getInfo': (c) => {
    const person = c.world.users.get(c.p.user_id ?? '');
    if (!person) throw new FlickrFail(1, 'User not found');
    return { person: c.world.personInfo(person) };
  },
  'flickr.people.findByEmail': (c) => {
    const user = [...c.world.users.values()].find((u) => (u.email ?? `${u.username}@example.com`).toLowerCase() === c.p.find_email.toLowerCase());
    if (!user) throw new FlickrFail(1, 'User not found');
    return { user: { id: user.nsid, nsid: user.nsid, username: { _content: user.username } } };
  },
  'flickr.people.findByUsername': (c) => {
    const user = [...c.world.users.values()].find((u) => u.username.toLowerCase() === c.p.username.toLowerCase());
    if (!user) throw new FlickrFail(1, 'User not found');
    return { user: { id: user.nsid, nsid: user.nsid, username: { _content: user.username } } };
  },
  'flickr.people.getPhotos': (c) => ({ photos: c.world.photoList(search({ ...c, p: { user_id: userOf(c) } }), c.p) }),
  'flickr.people.getPublicPhotos': (c) => ({ photos: c.world.photoList(search({ ...c, me: undefined, p: { user_id: userOf(c) } }), c.p) }),
  'flickr.people.getPhotosOf': (c) => {
    const nsid = userOf(c);
    const photos = search({ ...c, p: c.p.owner_id ? { user_id: c.p.owner_id } : {} }).filter((x) => x.people.has(nsid));
    return { photos: { ...c.world.photoList(photos, c.p), has_next_page: 0 } };
  },
  'flickr.people.getGroups': (c) => {
    const nsid = userOf(c);
    return { groups: { group: [...c.world.groups.values()].filter((g) => g.members.has(nsid)).map((g) => c.world.groupSummary(g, nsid)) } };
  },
  'flickr.people.getPublicGroups': (c) => {
    const nsid = userOf(c);
    return { groups: { group: [...c.world.groups.values()].filter((g) => g.members.has(nsid)).map((g) => c.world.groupSummary(g, nsid)) } };
  },
  'flickr.people.getLimits': (c) => ({
    person: { nsid: me(c), photos: { maxdisplaypx: '1024', maxupload: '209715200' }, videos: { maxduration: '180', maxupload: '1073741824' } },
  }),
  'flickr.people.getUploadStatus': (c) => {
    const user = c.world.user(me(c));
    return {
      user: {
        id: user.nsid,
        ispro: user.ispro ? 1 : 0,
        username: { _content: user.username },
        filesize: { max: '209715200', maxbytes: '209715200', maxkb: '204800', maxmb: '200' },
        sets: { created: [...c.world.photosets.values()].filter((s) => s.owner === user.nsid).length, remaining: 'lots' },
        videos: { uploaded: 0, remaining: 'lots' },
      },
    };
  },

  // ---- favorites ----
  'flickr.favorites.add': (c) => {
    const photo = c.world.photo(c.p.photo_id, me(c));
    if (photo.owner === me(c)) throw new FlickrFail(2, 'Photo is owned by you');
    if (photo.faves.has(me(c))) throw new FlickrFail(3, 'Photo is already in favorites');
    photo.faves.set(me(c), c.world.now());
    return {};
  },
  'flickr.favorites.remove': (c) => {
    const photo = c.world.photo(c.p.photo_id, me(c));
    if (!photo.faves.delete(me(c))) throw new FlickrFail(1, 'Photo not in favorites');
    return {};
  },
  'flickr.favorites.getList': (c) => favourites(c, userOf(c), c.me),
  'flickr.favorites.getPublicList': (c) => favourites(c, userOf(c), undefined),
  'flickr.favorites.getContext': (c) => {
    const nsid = c.world.user(c.p.user_id).nsid;
    const faved = [...c.world.photos.values()].filter((p) => p.faves.has(nsid)).sort((a, b) => b.faves.get(nsid)! - a.faves.get(nsid)!);
    return c.world.context(faved.map((p) => p.id), c.p.photo_id);
  },

  // ---- galleries ----
  'flickr.galleries.create': (c) => {
    const t = c.world.now();
    const gallery = { id: `${me(c).split('@')[0]}-${c.world.nextId('72157')}`, owner: me(c), title: c.p.title, description: c.p.description, primary: c.p.primary_photo_id || undefined, photos: [], created: t, updated: t };
    if (gallery.primary) c.world.photo(gallery.primary, me(c));
    c.world.galleries.set(gallery.id, gallery);
    return { gallery: { id: gallery.id, url: c.world.gallerySummary(gallery).url } };
  },
  'flickr.galleries.addPhoto': (c) => {
    const gallery = ownGallery(c);
    const photo = c.world.photo(c.p.photo_id, me(c));
    if (photo.owner === me(c)) throw new FlickrFail(4, 'Cannot add your own photo to a gallery');
    if (gallery.photos.some((p) => p.id === photo.id)) throw new FlickrFail(6, 'Photo already in gallery');
    gallery.photos.push({ id: photo.id, comment: c.p.comment ?? '' });
    gallery.updated = c.world.now();
    return c.p.full_response === '1' ? { gallery: c.world.gallerySummary(gallery) } : {};
  },
  'flickr.galleries.removePhoto': (c) => {
    const gallery = ownGallery(c);
    if (!gallery.photos.some((p) => p.id === c.p.photo_id)) throw new FlickrFail(2, 'Photo not in gallery');
    gallery.photos = gallery.photos.filter((p) => p.id !== c.p.photo_id);
    return c.p.full_response === '1' ? { gallery: c.world.gallerySummary(gallery) } : {};
  },
  'flickr.galleries.editMeta': (c) => {
    const gallery = ownGallery(c);
    Object.assign(gallery, { title: c.p.title, description: c.p.description ?? gallery.description, updated: c.world.now() });
    return {};
  },
  'flickr.galleries.editPhoto': (c) => {
    const entry = ownGallery(c).photos.find((p) => p.id === c.p.photo_id);
    if (!entry) throw new FlickrFail(2, 'Photo not in gallery');
    entry.comment = c.p.comment;
    return {};
  },
  'flickr.galleries.editPhotos': (c) => {
    const gallery = ownGallery(c);
    const wanted = ids(c.p.photo_ids);
    gallery.photos = wanted.map((id) => gallery.photos.find((p) => p.id === id) ?? { id: c.world.photo(id, me(c)).id, comment: '' });
    gallery.primary = c.p.primary_photo_id;
    return {};
  },
  'flickr.galleries.getInfo': (c) => ({ gallery: c.world.gallerySummary(c.world.gallery(c.p.gallery_id)) }),
  'flickr.galleries.getList': (c) => {
    const owner = c.world.user(c.p.user_id).nsid;
    const list = [...c.world.galleries.values()].filter((g) => g.owner === owner);
    const { items, page, pages, perpage, total } = paginate(list, c.p);
    return { galleries: { total, page, pages, per_page: perpage, user_id: owner, gallery: items.map((g) => c.world.gallerySummary(g)) } };
  },
  'flickr.galleries.getListForPhoto': (c) => {
    const photo = c.world.photo(c.p.photo_id, c.me);
    const list = [...c.world.galleries.values()].filter((g) => g.photos.some((p) => p.id === photo.id));
    const { items, page, pages, perpage, total } = paginate(list, c.p);
    return { galleries: { total, page, pages, per_page: perpage, photo_id: photo.id, gallery: items.map((g) => c.world.gallerySummary(g)) } };
  },
  'flickr.galleries.getPhotos': (c) => {
    const gallery = c.world.gallery(c.p.gallery_id);
    const photos = gallery.photos.map((e) => c.world.photos.get(e.id)).filter((p): p is FakePhoto => Boolean(p && visibleTo(c.me)(p)));
    return {
      photos: c.world.photoList(photos, c.p, (p, item) => {
        item.has_comment = gallery.photos.find((e) => e.id === p.id)?.comment ? 1 : 0;
        item.comment = { _content: gallery.photos.find((e) => e.id === p.id)?.comment ?? '' };
      }),
      ...(c.p.get_gallery_info === '1' ? { gallery: c.world.gallerySummary(gallery) } : {}),
    };
  },

  // ---- groups (pools, membership, lookup) ----
  'flickr.groups.getInfo': (c) => {
    const group = c.world.group(c.p.group_id ?? c.p.group_path_alias);
    return {
      group: {
        id: group.nsid,
        nsid: group.nsid,
        path_alias: group.pathAlias,
        iconserver: '0',
        iconfarm: 0,
        name: { _content: group.name },
        description: { _content: group.description },
        members: { _content: String(group.members.size) },
        pool_count: { _content: String(group.pool.length) },
        privacy: { _content: '3' },
        throttle: { mode: 'none' },
        restrictions: { photos_ok: 1, videos_ok: 1, images_ok: 1, screens_ok: 1, art_ok: 1, safe_ok: 1, moderate_ok: 0, restricted_ok: 0, has_geo: 0 },
      },
    };
  },
  'flickr.groups.search': (c) => {
    const text = c.p.text.toLowerCase();
    const groups = [...c.world.groups.values()].filter((g) => g.name.toLowerCase().includes(text) || g.description.toLowerCase().includes(text));
    const { items, ...paging } = paginate(groups, c.p);
    return { groups: { ...paging, group: items.map((g) => ({ nsid: g.nsid, name: g.name, eighteenplus: 0, iconserver: '0', iconfarm: 0, members: String(g.members.size), pool_count: String(g.pool.length), topic_count: '0', privacy: '3' })) } };
  },
  'flickr.groups.join': (c) => {
    const group = c.world.group(c.p.group_id);
    if (group.members.has(me(c))) throw new FlickrFail(3, 'User already in group');
    group.members.add(me(c));
    return {};
  },
  'flickr.groups.joinRequest': (c) => {
    const group = c.world.group(c.p.group_id);
    if (group.members.has(me(c))) throw new FlickrFail(3, 'User already in group');
    group.members.add(me(c));
    return {};
  },
  'flickr.groups.leave': (c) => {
    const group = c.world.group(c.p.group_id);
    if (!group.members.delete(me(c))) throw new FlickrFail(3, 'User not in group');
    if (c.p.delete_photos === '1') group.pool = group.pool.filter((e) => e.owner !== me(c));
    return {};
  },
  'flickr.groups.members.getList': (c) => {
    const group = c.world.group(c.p.group_id);
    if (!group.members.has(me(c))) throw new FlickrFail(1, 'Group not found');
    const { items, ...paging } = paginate([...group.members], c.p);
    return { members: { ...paging, member: items.map((nsid) => ({ nsid, username: c.world.users.get(nsid)?.username ?? '', iconserver: '0', iconfarm: 0, membertype: group.admins.has(nsid) ? '4' : '2' })) } };
  },
  'flickr.groups.pools.add': (c) => {
    const group = c.world.group(c.p.group_id);
    const photo = c.world.ownPhoto(c.p.photo_id, me(c));
    if (!group.members.has(me(c))) throw new FlickrFail(5, 'User is not a member of the group');
    if (group.pool.some((e) => e.photo === photo.id)) throw new FlickrFail(3, 'Photo already in pool');
    group.pool.unshift({ photo: photo.id, owner: photo.owner, dateadded: c.world.now() });
    return {};
  },
  'flickr.groups.pools.remove': (c) => {
    const group = c.world.group(c.p.group_id);
    const entry = group.pool.find((e) => e.photo === c.p.photo_id);
    if (!entry) throw new FlickrFail(2, 'Photo not in pool');
    if (entry.owner !== me(c) && !group.admins.has(me(c))) throw new FlickrFail(3, 'Insufficient permission to remove photo');
    group.pool = group.pool.filter((e) => e !== entry);
    return {};
  },
  'flickr.groups.pools.getPhotos': (c) => {
    const group = c.world.group(c.p.group_id);
    let photos = group.pool.map((e) => c.world.photos.get(e.photo)).filter((p): p is FakePhoto => Boolean(p && visibleTo(c.me)(p)));
    if (c.p.user_id) photos = photos.filter((p) => p.owner === c.p.user_id);
    if (c.p.tags) photos = photos.filter((p) => p.tags.some((t) => t.clean === cleanTag(c.p.tags)));
    return {
      photos: c.world.photoList(photos, c.p, (p, item) => {
        item.ownername = c.world.users.get(p.owner)?.username ?? '';
        item.dateadded = String(group.pool.find((e) => e.photo === p.id)?.dateadded ?? 0);
      }),
    };
  },
  'flickr.groups.pools.getContext': (c) => c.world.context(c.world.group(c.p.group_id).pool.map((e) => e.photo), c.world.photo(c.p.photo_id, c.me).id),
  'flickr.groups.pools.getGroups': (c) => {
    const groups = [...c.world.groups.values()].filter((g) => g.members.has(me(c)));
    const { items, page, pages, perpage, total } = paginate(groups, c.p, 400, 400);
    return { groups: { page, pages, per_page: perpage, total, group: items.map((g) => c.world.groupSummary(g, me(c))) } };
  },

  // ---- tags ----
  'flickr.tags.getListPhoto': (c) => {
    const photo = c.world.photo(c.p.photo_id, c.me);
    return { photo: { id: photo.id, tags: { tag: photo.tags.map((t) => c.world.tag(t)) } } };
  },
  'flickr.tags.getListUser': (c) => {
    const nsid = userOf(c);
    const tags = tagCounts([...c.world.photos.values()].filter((p) => p.owner === nsid)).map(([t]) => t).sort();
    return { who: { id: nsid, tags: { tag: tags.map((_content) => ({ _content })) } } };
  },
  'flickr.tags.getListUserPopular': (c) => {
    const nsid = userOf(c);
    const tags = tagCounts([...c.world.photos.values()].filter((p) => p.owner === nsid)).slice(0, Number(c.p.count) || 10);
    return { who: { id: nsid, tags: { tag: tags.map(([_content, count]) => ({ count, _content })) } } };
  },
  'flickr.tags.getListUserRaw': (c) => {
    const nsid = me(c);
    const raw = new Map<string, Set<string>>();
    for (const p of c.world.photos.values()) if (p.owner === nsid) for (const t of p.tags) raw.set(t.clean, (raw.get(t.clean) ?? new Set()).add(t.raw));
    const wanted = c.p.tag ? cleanTag(c.p.tag) : undefined;
    const tag = [...raw].filter(([clean]) => !wanted || clean === wanted).map(([clean, raws]) => ({ clean, raw: [...raws].map((_content) => ({ _content })) }));
    return { who: { id: nsid, tags: { tag } } };
  },
  'flickr.tags.getMostFrequentlyUsed': (c) => {
    const nsid = me(c);
    const tags = tagCounts([...c.world.photos.values()].filter((p) => p.owner === nsid));
    return { who: { tags: { tag: tags.map(([_content, count]) => ({ count, _content })) } } };
  },
  'flickr.tags.getHotList': (c) => {
    const tags = tagCounts([...c.world.photos.values()].filter((p) => p.ispublic)).slice(0, Number(c.p.count) || 20);
    return { hottags: { period: c.p.period || 'day', count: tags.length, tag: tags.map(([_content, score]) => ({ score: String(score), _content })) } };
  },
  'flickr.tags.getRelated': (c) => {
    const source = cleanTag(c.p.tag);
    const related = tagCounts([...c.world.photos.values()].filter((p) => p.ispublic && p.tags.some((t) => t.clean === source))).filter(([t]) => t !== source);
    return { tags: { source: c.p.tag, tag: related.map(([_content]) => ({ _content })) } };
  },
  'flickr.tags.getClusters': (c) => {
    const source = cleanTag(c.p.tag);
    const related = tagCounts([...c.world.photos.values()].filter((p) => p.ispublic && p.tags.some((t) => t.clean === source))).filter(([t]) => t !== source);
    const cluster = related.length ? [{ total: related.length, tag: related.map(([_content]) => ({ _content })) }] : [];
    return { clusters: { source: c.p.tag, total: cluster.length, cluster } };
  },
  'flickr.tags.getClusterPhotos': (c) => {
    const source = cleanTag(c.p.tag);
    const cluster = c.p.cluster_id.split('-').map(cleanTag);
    const photos = [...c.world.photos.values()].filter((p) => p.ispublic && p.tags.some((t) => t.clean === source) && p.tags.some((t) => cluster.includes(t.clean)));
    return { photos: { ...c.world.photoList(photos, c.p) } };
  },

  // ---- urls ----
  'flickr.urls.getGroup': (c) => {
    const group = c.world.group(c.p.group_id);
    return { group: { nsid: group.nsid, url: `https://www.flickr.com/groups/${group.pathAlias}/` } };
  },
  'flickr.urls.getUserPhotos': (c) => {
    const user = c.world.user(userOf(c));
    return { user: { nsid: user.nsid, url: `https://www.flickr.com/photos/${user.pathAlias ?? user.username}/` } };
  },
  'flickr.urls.getUserProfile': (c) => {
    const user = c.world.user(userOf(c));
    return { user: { nsid: user.nsid, url: `https://www.flickr.com/people/${user.pathAlias ?? user.username}/` } };
  },
  'flickr.urls.lookupUser': (c) => {
    const [kind, alias] = flickrPath(c.p.url);
    const user = (kind === 'photos' || kind === 'people') && alias ? c.world.userByAlias(alias) : undefined;
    if (!user) throw new FlickrFail(1, 'User not found');
    return { user: { id: user.nsid, username: { _content: user.username } } };
  },
  'flickr.urls.lookupGroup': (c) => {
    const [kind, alias] = flickrPath(c.p.url);
    const group = kind === 'groups' && alias ? [...c.world.groups.values()].find((g) => g.pathAlias === alias || g.nsid === alias) : undefined;
    if (!group) throw new FlickrFail(1, 'Group not found');
    return { group: { id: group.nsid, groupname: { _content: group.name } } };
  },
  'flickr.urls.lookupGallery': (c) => {
    const [kind, alias, what, id] = flickrPath(c.p.url);
    const owner = kind === 'photos' && alias ? c.world.userByAlias(alias) : undefined;
    const gallery = owner && what === 'galleries' ? [...c.world.galleries.values()].find((g) => g.owner === owner.nsid && g.id.endsWith(`-${id}`)) : undefined;
    if (!gallery) throw new FlickrFail(1, 'Gallery not found');
    return { gallery: c.world.gallerySummary(gallery) };
  },
};

function favourites(c: RestCall, nsid: string, viewer: string | undefined) {
  const faved = [...c.world.photos.values()].filter((p) => p.faves.has(nsid) && visibleTo(viewer)(p));
  faved.sort((a, b) => b.faves.get(nsid)! - a.faves.get(nsid)!);
  const min = Number(c.p.min_fave_date) || 0;
  const max = Number(c.p.max_fave_date) || Infinity;
  const inRange = faved.filter((p) => p.faves.get(nsid)! >= min && p.faves.get(nsid)! <= max);
  return { photos: c.world.photoList(inRange, c.p, (p, item) => (item.date_faved = String(p.faves.get(nsid)))) };
}

/** The answer for a catalogued method without a handler (see the header). */
export function genericAnswer(method: CatalogueMethod): Record<string, unknown> {
  if (method.permission === 'write' || method.permission === 'delete') return {};
  const noun = method.name.split('.')[1] ?? 'items';
  return { [noun]: { page: 1, pages: 1, perpage: 100, total: 0 } };
}

const ID_NOUNS: Record<string, string> = {
  photo_id: 'Photo',
  photoset_id: 'Photoset',
  user_id: 'User',
  gallery_id: 'Gallery',
  group_id: 'Group',
  comment_id: 'Comment',
  note_id: 'Note',
  tag_id: 'Tag',
  topic_id: 'Topic',
  reply_id: 'Reply',
  suggestion_id: 'Suggestion',
  primary_photo_id: 'Photo',
};

/**
 * The error for a missing required argument. Flickr answers these per
 * method; the fake answers code 1 for every method: "<Thing> not found" for
 * an id argument (what Flickr says for a missing `photo_id`, `user_id`,
 * `photoset_id`), `Required argument "<name>" missing` for any other.
 */
export function missingArgument(name: string): FlickrFail {
  const noun = ID_NOUNS[name];
  return new FlickrFail(1, noun ? `${noun} not found` : `Required argument "${name}" missing`);
}
