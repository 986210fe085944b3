import { randomBytes, randomInt } from 'node:crypto';

/**
 * The in-memory Flickr the fake serves: people, photos, sets, galleries,
 * groups and their pools, favourites, comments, notes, tags, geo. Every REST
 * handler reads and writes this one model, so a write is visible to every
 * later read (a favourite added shows in favorites.getList and
 * photos.getFavorites, a comment in comments.getList and getInfo's count...).
 * The `render*` functions produce Flickr's JSON shapes (format=json).
 */

/** A user of the fake Flickr. */
export interface FakeUser {
  nsid: string;
  username: string;
  fullname: string;
  /** For people.findByEmail; defaults to `<username>@example.com`. */
  email?: string;
  /** For urls.* (the `/photos/<path_alias>/` part); defaults to the username. */
  pathAlias?: string;
  ispro?: boolean;
}

/** A Flickr error: the handler's way to answer `{"stat":"fail","code":N,"message":"..."}`. */
export class FlickrFail extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export interface FakeTag {
  id: string;
  author: string;
  raw: string;
  /** Flickr's normalised form: lower case, spaces and punctuation removed (machine tags keep `:` and `=`). */
  clean: string;
}

export interface FakeComment {
  id: string;
  author: string;
  text: string;
  date: number;
}

export interface FakeNote {
  id: string;
  author: string;
  x: number;
  y: number;
  w: number;
  h: number;
  text: string;
}

export interface FakeGeo {
  latitude: number;
  longitude: number;
  accuracy: number;
  context: number;
}

export interface FakePhoto {
  id: string;
  owner: string;
  secret: string;
  server: string;
  farm: number;
  title: string;
  description: string;
  tags: FakeTag[];
  ispublic: number;
  isfriend: number;
  isfamily: number;
  permComment: number;
  permAddmeta: number;
  dateupload: number;
  datetaken: string;
  lastupdate: number;
  license: string;
  safetyLevel: number;
  contentType: number;
  hidden: number;
  rotation: number;
  views: number;
  bytes: number;
  geo?: FakeGeo;
  geoperms: { ispublic: number; iscontact: number; isfriend: number; isfamily: number };
  comments: FakeComment[];
  /** nsid → unix time faved. */
  faves: Map<string, number>;
  /** People tagged in the photo. */
  people: Set<string>;
  notes: FakeNote[];
}

export interface FakePhotoset {
  id: string;
  owner: string;
  title: string;
  description: string;
  primary: string;
  photos: string[];
  created: number;
  updated: number;
  comments: FakeComment[];
}

export interface FakeGallery {
  id: string;
  owner: string;
  title: string;
  description: string;
  primary?: string;
  photos: Array<{ id: string; comment: string }>;
  created: number;
  updated: number;
}

export interface FakeGroup {
  nsid: string;
  name: string;
  description: string;
  pathAlias: string;
  members: Set<string>;
  admins: Set<string>;
  pool: Array<{ photo: string; owner: string; dateadded: number }>;
}

/** Page arithmetic as Flickr does it: `per_page` defaults to 100, at most 500, `page` from 1. */
export function paginate<T>(items: T[], params: Record<string, string>, defaultPerPage = 100, maxPerPage = 500) {
  const perpage = Math.max(1, Math.min(Number(params.per_page) || defaultPerPage, maxPerPage));
  const pages = Math.max(1, Math.ceil(items.length / perpage));
  const page = Math.max(1, Number(params.page) || 1);
  return { page, pages, perpage, total: items.length, items: items.slice((page - 1) * perpage, page * perpage) };
}

const now = () => Math.floor(Date.now() / 1000);
const digits = (n: number) => String(randomInt(10 ** (n - 1), 10 ** n - 1));
const flickrDate = (unix: number) => new Date(unix * 1000).toISOString().replace('T', ' ').slice(0, 19);

/** Splits Flickr's `tags` argument: space separated, double quotes around multi-word tags. */
export function parseTags(text: string): string[] {
  return [...text.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => (m[1] ?? m[2]).trim()).filter(Boolean);
}

/** Flickr's clean form of a tag. */
export function cleanTag(raw: string): string {
  if (/^[a-z_][a-z0-9_]*:[a-z0-9_]+=/i.test(raw)) return raw.toLowerCase();
  return raw.toLowerCase().replace(/[^\p{L}\p{N}]/gu, '');
}

const SIZES: Array<[label: string, suffix: string, longEdge: number]> = [
  ['Square', 's', 75],
  ['Large Square', 'q', 150],
  ['Thumbnail', 't', 100],
  ['Small', 'm', 240],
  ['Small 320', 'n', 320],
  ['Medium', '', 500],
  ['Medium 640', 'z', 640],
  ['Medium 800', 'c', 800],
  ['Large', 'b', 1024],
  ['Original', 'o', 2048],
];

/** The in-memory world. */
export class FakeWorld {
  readonly users = new Map<string, FakeUser>();
  readonly photos = new Map<string, FakePhoto>();
  readonly photosets = new Map<string, FakePhotoset>();
  readonly galleries = new Map<string, FakeGallery>();
  readonly groups = new Map<string, FakeGroup>();
  /** Async upload tickets (flickr.photos.upload.checkTickets). */
  readonly tickets = new Map<string, { complete: 0 | 1 | 2; photoid?: string; readyAt: number }>();
  private sequence = 0;

  /** A fresh id with Flickr's look (`72157` prefix for sets, galleries, comments). */
  nextId(prefix = ''): string {
    this.sequence++;
    return `${prefix}${Date.now() % 1e9}${String(this.sequence).padStart(4, '0')}`;
  }

  user(nsid: string): FakeUser {
    const user = this.users.get(nsid);
    if (!user) throw new FlickrFail(1, 'User not found');
    return user;
  }

  userByAlias(alias: string): FakeUser | undefined {
    return [...this.users.values()].find((u) => (u.pathAlias ?? u.username) === alias || u.nsid === alias);
  }

  /** A photo `viewer` may see (private photos are only visible to their owner), or Flickr's code 1. */
  photo(id: string | undefined, viewer?: string): FakePhoto {
    const photo = this.photos.get(id ?? '');
    if (!photo || (!photo.ispublic && photo.owner !== viewer)) throw new FlickrFail(1, `Photo "${id ?? ''}" not found (invalid ID)`);
    return photo;
  }

  /** A photo the caller owns: anyone else gets "Photo not found", as Flickr answers for photos it will not let you edit. */
  ownPhoto(id: string | undefined, me: string): FakePhoto {
    const photo = this.photo(id, me);
    if (photo.owner !== me) throw new FlickrFail(1, `Photo "${id}" not found (invalid ID)`);
    return photo;
  }

  photoset(id: string | undefined): FakePhotoset {
    const set = this.photosets.get(id ?? '');
    if (!set) throw new FlickrFail(1, 'Photoset not found');
    return set;
  }

  gallery(id: string | undefined): FakeGallery {
    const gallery = this.galleries.get(id ?? '');
    if (!gallery) throw new FlickrFail(1, 'Invalid gallery ID');
    return gallery;
  }

  group(id: string | undefined): FakeGroup {
    const group = this.groups.get(id ?? '') ?? [...this.groups.values()].find((g) => g.pathAlias === id);
    if (!group) throw new FlickrFail(1, 'Group not found');
    return group;
  }

  /** Adds a photo as if uploaded; every field has a plausible default. */
  addPhoto(input: Partial<Omit<FakePhoto, 'tags'>> & { owner: string; tags?: string | string[] }): FakePhoto {
    const t = now();
    const { tags, ...rest } = input;
    const photo: FakePhoto = {
      id: String(randomInt(1e10, 1e11)),
      secret: randomBytes(5).toString('hex'),
      server: String(randomInt(1000, 65535)),
      farm: 66,
      title: '',
      description: '',
      ispublic: 1,
      isfriend: 0,
      isfamily: 0,
      permComment: 3,
      permAddmeta: 2,
      dateupload: t,
      datetaken: flickrDate(t),
      lastupdate: t,
      license: '0',
      safetyLevel: 1,
      contentType: 1,
      hidden: 1,
      rotation: 0,
      views: 0,
      bytes: 0,
      geoperms: { ispublic: 1, iscontact: 0, isfriend: 0, isfamily: 0 },
      comments: [],
      faves: new Map(),
      people: new Set(),
      notes: [],
      ...rest,
      tags: [],
    };
    this.photos.set(photo.id, photo);
    this.addTags(photo, input.owner, typeof tags === 'string' ? parseTags(tags) : (tags ?? []));
    return photo;
  }

  addTags(photo: FakePhoto, author: string, raws: string[]): void {
    for (const raw of raws) {
      if (photo.tags.some((t) => t.raw === raw)) continue;
      photo.tags.push({ id: `${photo.owner.split('@')[0]}-${photo.id}-${this.nextId()}`, author, raw, clean: cleanTag(raw) });
    }
    photo.lastupdate = now();
  }

  addGroup(input: Partial<FakeGroup> & { name: string }): FakeGroup {
    const group: FakeGroup = {
      nsid: `${digits(8)}@N2${randomInt(0, 9)}`,
      description: '',
      pathAlias: input.name.toLowerCase().replace(/[^a-z0-9]/g, ''),
      members: new Set(),
      admins: new Set(),
      pool: [],
      ...input,
    };
    this.groups.set(group.nsid, group);
    return group;
  }

  /** Removes a photo from every set, gallery and pool too (what Flickr does on delete). */
  deletePhoto(photo: FakePhoto): void {
    this.photos.delete(photo.id);
    for (const set of this.photosets.values()) {
      set.photos = set.photos.filter((id) => id !== photo.id);
      if (set.primary === photo.id) set.primary = set.photos[0] ?? '';
    }
    for (const set of [...this.photosets.values()]) if (!set.photos.length) this.photosets.delete(set.id);
    for (const gallery of this.galleries.values()) gallery.photos = gallery.photos.filter((p) => p.id !== photo.id);
    for (const group of this.groups.values()) group.pool = group.pool.filter((p) => p.photo !== photo.id);
  }

  // ---- Flickr's JSON shapes ----

  imageUrl(photo: FakePhoto, suffix = ''): string {
    return `https://live.staticflickr.com/${photo.server}/${photo.id}_${photo.secret}${suffix ? `_${suffix}` : ''}.jpg`;
  }

  photoPage(photo: FakePhoto): string {
    const owner = this.users.get(photo.owner);
    return `https://www.flickr.com/photos/${owner?.pathAlias ?? owner?.username ?? photo.owner}/${photo.id}/`;
  }

  /** getSizes' list: a 4:3 original of 2048×1536 and Flickr's usual derivatives. */
  sizes(photo: FakePhoto) {
    return SIZES.map(([label, suffix, edge]) => {
      const square = suffix === 's' || suffix === 'q';
      return {
        label,
        width: edge,
        height: square ? edge : Math.round((edge * 3) / 4),
        source: this.imageUrl(photo, suffix),
        url: `${this.photoPage(photo)}sizes/${suffix || 'm'}/`,
        media: 'photo',
      };
    });
  }

  /** A photo as it appears in lists (search, getPhotos, pools...), with the requested `extras`. */
  listItem(photo: FakePhoto, extrasParam = ''): Record<string, unknown> {
    const item: Record<string, unknown> = {
      id: photo.id,
      owner: photo.owner,
      secret: photo.secret,
      server: photo.server,
      farm: photo.farm,
      title: photo.title,
      ispublic: photo.ispublic,
      isfriend: photo.isfriend,
      isfamily: photo.isfamily,
    };
    const owner = this.users.get(photo.owner);
    for (const extra of extrasParam.split(',').map((e) => e.trim()).filter(Boolean)) {
      switch (extra) {
        case 'description':
          item.description = { _content: photo.description };
          break;
        case 'license':
          item.license = photo.license;
          break;
        case 'date_upload':
          item.dateupload = String(photo.dateupload);
          break;
        case 'date_taken':
          Object.assign(item, { datetaken: photo.datetaken, datetakengranularity: 0, datetakenunknown: '0' });
          break;
        case 'last_update':
          item.lastupdate = String(photo.lastupdate);
          break;
        case 'owner_name':
          item.ownername = owner?.username ?? '';
          break;
        case 'tags':
          item.tags = photo.tags.filter((t) => !t.raw.includes(':')).map((t) => t.clean).join(' ');
          break;
        case 'machine_tags':
          item.machine_tags = photo.tags.filter((t) => t.raw.includes(':')).map((t) => t.clean).join(' ');
          break;
        case 'geo':
          Object.assign(item, photo.geo ? { latitude: photo.geo.latitude, longitude: photo.geo.longitude, accuracy: photo.geo.accuracy, context: photo.geo.context } : { latitude: 0, longitude: 0, accuracy: 0 });
          break;
        case 'views':
          item.views = String(photo.views);
          break;
        case 'media':
          Object.assign(item, { media: 'photo', media_status: 'ready' });
          break;
        case 'path_alias':
          item.pathalias = owner?.pathAlias ?? owner?.username ?? null;
          break;
        case 'original_format':
          Object.assign(item, { originalsecret: photo.secret, originalformat: 'jpg' });
          break;
        default:
          if (extra.startsWith('url_')) {
            const size = this.sizes(photo).find((s) => (s.source.match(/_([a-z])\.jpg$/)?.[1] ?? '') === extra.slice(4)) ?? this.sizes(photo)[5];
            Object.assign(item, { [extra]: size.source, [`height_${extra.slice(4)}`]: size.height, [`width_${extra.slice(4)}`]: size.width });
          }
      }
    }
    return item;
  }

  /** `{page, pages, perpage, total, photo: [...]}` of a list of photos. */
  photoList(photos: FakePhoto[], params: Record<string, string>, extend?: (photo: FakePhoto, item: Record<string, unknown>) => void) {
    const { items, ...paging } = paginate(photos, params);
    return {
      ...paging,
      photo: items.map((p) => {
        const item = this.listItem(p, params.extras);
        extend?.(p, item);
        return item;
      }),
    };
  }

  photoInfo(photo: FakePhoto, viewer?: string): Record<string, unknown> {
    const owner = this.users.get(photo.owner);
    const mine = viewer === photo.owner;
    return {
      id: photo.id,
      secret: photo.secret,
      server: photo.server,
      farm: photo.farm,
      dateuploaded: String(photo.dateupload),
      isfavorite: viewer && photo.faves.has(viewer) ? 1 : 0,
      license: photo.license,
      safety_level: String(photo.safetyLevel - 1),
      rotation: photo.rotation,
      originalsecret: photo.secret,
      originalformat: 'jpg',
      owner: {
        nsid: photo.owner,
        username: owner?.username ?? '',
        realname: owner?.fullname ?? '',
        location: '',
        iconserver: '0',
        iconfarm: 0,
        path_alias: owner?.pathAlias ?? owner?.username ?? null,
      },
      title: { _content: photo.title },
      description: { _content: photo.description },
      visibility: { ispublic: photo.ispublic, isfriend: photo.isfriend, isfamily: photo.isfamily },
      dates: { posted: String(photo.dateupload), taken: photo.datetaken, takengranularity: 0, takenunknown: '0', lastupdate: String(photo.lastupdate) },
      permissions: mine ? { permcomment: photo.permComment, permaddmeta: photo.permAddmeta } : undefined,
      views: String(photo.views),
      editability: { cancomment: viewer ? 1 : 0, canaddmeta: mine ? 1 : 0 },
      publiceditability: { cancomment: 1, canaddmeta: 0 },
      usage: { candownload: 1, canblog: mine ? 1 : 0, canprint: 0, canshare: 1 },
      comments: { _content: String(photo.comments.length) },
      notes: { note: photo.notes.map((n) => this.note(n)) },
      people: { haspeople: photo.people.size ? 1 : 0 },
      tags: { tag: photo.tags.map((t) => this.tag(t)) },
      ...(photo.geo ? { location: this.location(photo), geoperms: mine ? photo.geoperms : undefined } : {}),
      urls: { url: [{ type: 'photopage', _content: this.photoPage(photo) }] },
      media: 'photo',
    };
  }

  tag(t: FakeTag) {
    return {
      id: t.id,
      author: t.author,
      authorname: this.users.get(t.author)?.username ?? '',
      raw: t.raw,
      _content: t.clean,
      machine_tag: t.raw.includes(':') && t.raw.includes('=') ? 1 : 0,
    };
  }

  note(n: FakeNote) {
    return { id: n.id, author: n.author, authorname: this.users.get(n.author)?.username ?? '', x: String(n.x), y: String(n.y), w: String(n.w), h: String(n.h), _content: n.text };
  }

  location(photo: FakePhoto) {
    const g = photo.geo!;
    return {
      latitude: String(g.latitude),
      longitude: String(g.longitude),
      accuracy: String(g.accuracy),
      context: String(g.context),
      place_id: '',
      woeid: '',
    };
  }

  comment(c: FakeComment, permalinkBase: string) {
    const author = this.users.get(c.author);
    return {
      id: c.id,
      author: c.author,
      author_is_deleted: 0,
      authorname: author?.username ?? '',
      realname: author?.fullname ?? '',
      datecreate: String(c.date),
      permalink: `${permalinkBase}#comment${c.id.split('-').pop()}`,
      path_alias: author?.pathAlias ?? author?.username ?? '',
      _content: c.text,
    };
  }

  photosetSummary(set: FakePhotoset) {
    const primary = this.photos.get(set.primary);
    const owner = this.users.get(set.owner);
    return {
      id: set.id,
      owner: set.owner,
      username: owner?.username ?? '',
      primary: set.primary,
      secret: primary?.secret ?? '',
      server: primary?.server ?? '',
      farm: primary?.farm ?? 0,
      photos: set.photos.length,
      count_photos: set.photos.length,
      videos: 0,
      count_videos: 0,
      title: { _content: set.title },
      description: { _content: set.description },
      count_views: '0',
      count_comments: String(set.comments.length),
      can_comment: 1,
      date_create: String(set.created),
      date_update: String(set.updated),
    };
  }

  gallerySummary(gallery: FakeGallery) {
    const owner = this.users.get(gallery.owner);
    const primary = this.photos.get(gallery.primary ?? gallery.photos[0]?.id ?? '');
    return {
      id: gallery.id,
      gallery_id: gallery.id.split('-').pop(),
      url: `https://www.flickr.com/photos/${owner?.pathAlias ?? owner?.username ?? gallery.owner}/galleries/${gallery.id.split('-').pop()}/`,
      owner: gallery.owner,
      username: owner?.username ?? '',
      primary_photo_id: primary?.id ?? '',
      primary_photo_server: primary?.server ?? '',
      primary_photo_farm: primary?.farm ?? 0,
      primary_photo_secret: primary?.secret ?? '',
      date_create: String(gallery.created),
      date_update: String(gallery.updated),
      count_photos: gallery.photos.length,
      count_videos: 0,
      count_total: gallery.photos.length,
      count_views: 0,
      count_comments: 0,
      title: { _content: gallery.title },
      description: { _content: gallery.description },
    };
  }

  groupSummary(group: FakeGroup, viewer?: string) {
    return {
      nsid: group.nsid,
      id: group.nsid,
      name: group.name,
      iconserver: '0',
      iconfarm: 0,
      admin: viewer && group.admins.has(viewer) ? 1 : 0,
      is_member: viewer && group.members.has(viewer) ? 1 : 0,
      eighteenplus: 0,
      invitation_only: 0,
      privacy: '3',
      members: String(group.members.size),
      pool_count: String(group.pool.length),
      photos: String(group.pool.length),
    };
  }

  personInfo(user: FakeUser) {
    const alias = user.pathAlias ?? user.username;
    const photos = [...this.photos.values()].filter((p) => p.owner === user.nsid);
    return {
      id: user.nsid,
      nsid: user.nsid,
      ispro: user.ispro ? 1 : 0,
      can_buy_pro: 0,
      iconserver: '0',
      iconfarm: 0,
      path_alias: alias,
      has_stats: 0,
      username: { _content: user.username },
      realname: { _content: user.fullname },
      location: { _content: '' },
      description: { _content: '' },
      photosurl: { _content: `https://www.flickr.com/photos/${alias}/` },
      profileurl: { _content: `https://www.flickr.com/people/${alias}/` },
      mobileurl: { _content: `https://m.flickr.com/photostream.gne?id=${user.nsid}` },
      photos: {
        firstdatetaken: { _content: photos[0]?.datetaken ?? null },
        firstdate: { _content: photos[0] ? String(photos[0].dateupload) : null },
        count: { _content: photos.length },
      },
    };
  }

  /** `{prevphoto, nextphoto, count}` of `id` inside an ordered list of photo ids (Flickr's `*.getContext` shape). */
  context(ids: string[], id: string) {
    const i = ids.indexOf(id);
    if (i < 0) throw new FlickrFail(2, 'Photo not in set');
    const neighbour = (j: number) => {
      const p = this.photos.get(ids[j] ?? '');
      if (!p) return { id: 0 };
      return { id: p.id, owner: p.owner, secret: p.secret, server: p.server, farm: p.farm, title: p.title, url: new URL(this.photoPage(p)).pathname, thumb: this.imageUrl(p, 's'), license: p.license, media: 'photo', is_faved: 0 };
    };
    return { count: { _content: ids.length }, prevphoto: neighbour(i - 1), nextphoto: neighbour(i + 1) };
  }

  /** Seconds since the epoch, as Flickr's dates are. */
  now(): number {
    return now();
  }

  flickrDate(unix: number): string {
    return flickrDate(unix);
  }
}
