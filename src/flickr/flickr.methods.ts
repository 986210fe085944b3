// Not named flickr.catalogue.ts: under ts-node, require('./flickr.catalogue') would resolve to the .json first.
import catalogueFile from './flickr.catalogue.json';

/** The permission a Flickr method needs, as Flickr documents it; each level includes the ones before it. */
export type FlickrPermission = 'none' | 'read' | 'write' | 'delete';

/** A permission a user can grant when connecting (`POST /v1/oauth/start` `perms`). */
export type FlickrGrantedPermission = Exclude<FlickrPermission, 'none'>;

/** How a method counts in the per-user rate limits and the retry/cache rules: deletes are writes. */
export type FlickrMethodClass = 'read' | 'write';

export interface FlickrCatalogueParam {
  name: string;
  required: boolean;
  description: string;
}

/** One Flickr REST method as scripts/flickr-catalogue.ts generated it from flickr-sdk. */
export interface FlickrCatalogueMethod {
  name: string;
  description: string;
  permission: FlickrPermission;
  class: FlickrMethodClass;
  /** Repeating the call leaves the same state as doing it once (reads always; some writes). */
  idempotent: boolean;
  /** Default cache lifetime of a read answer; 0 = never cached (every write). */
  cacheTtlSeconds: number;
  /** Why the gateway owns this method and never proxies it; absent for proxiable methods. */
  gatewayOwned?: string;
  params: FlickrCatalogueParam[];
}

export interface FlickrCatalogueFile {
  sdkVersion: string;
  methods: FlickrCatalogueMethod[];
}

/** The checked-in catalogue (src/flickr/flickr.catalogue.json). */
export const FLICKR_CATALOGUE = catalogueFile as FlickrCatalogueFile;

const BY_NAME = new Map(FLICKR_CATALOGUE.methods.map((m) => [m.name, m]));

/**
 * Names a client may try that are not REST methods but endpoints the gateway
 * serves itself. Answered as gateway-owned (with where to go) rather than as
 * unknown, so a client porting Flickr code finds the right route.
 */
const NON_REST_ENDPOINTS: Readonly<Record<string, string>> = {
  'flickr.photos.upload':
    "Flickr's upload API is not a REST method (multipart POST to up.flickr.com); upload through the gateway's queue with POST /v1/users/{user_id}/uploads.",
  'flickr.photos.replace':
    "Flickr's replace API is not a REST method (multipart POST to up.flickr.com); it belongs to the gateway's upload queue, not to the proxy.",
};

/** The catalogue entry of `name`, or undefined when flickr-sdk defines no such REST method. */
export function flickrMethod(name: string): FlickrCatalogueMethod | undefined {
  return BY_NAME.get(name);
}

/** Why the gateway refuses to proxy `name` (catalogued gateway-owned methods and the upload endpoints), if it does. */
export function gatewayOwnedReason(name: string): string | undefined {
  return BY_NAME.get(name)?.gatewayOwned ?? (Object.hasOwn(NON_REST_ENDPOINTS, name) ? NON_REST_ENDPOINTS[name] : undefined);
}

/**
 * The rate-limit class of a proxied method, for `@RateLimitClassFrom`. Pure and
 * synchronous (it runs in the rate-limit guard on every proxy request). Names
 * that are not in the catalogue count as `read`: they are refused with 400
 * before any upstream call, so they cost no more than a read.
 */
export function flickrMethodClass(name: string): FlickrMethodClass {
  return BY_NAME.get(name)?.class ?? 'read';
}

/** Every method the proxy serves (catalogued and not gateway-owned), sorted. */
export const PROXIABLE_FLICKR_METHODS: readonly string[] = FLICKR_CATALOGUE.methods.filter((m) => !m.gatewayOwned).map((m) => m.name);

const RANK: Record<FlickrPermission, number> = { none: 0, read: 1, write: 2, delete: 3 };

/** Whether a connection granted `granted` may call a method needing `required` (delete ⊃ write ⊃ read ⊃ none). */
export function permissionCovers(granted: FlickrPermission, required: FlickrPermission): boolean {
  return RANK[granted] >= RANK[required];
}

/** How FlickrApiService treats a proxied method: its class and the cache lifetime of its answers. */
export interface FlickrMethodPolicy {
  class: FlickrMethodClass;
  /** Seconds a read answer is cached per user and parameters; 0 = never cached. */
  cacheTtlS: number;
}

/**
 * The call policy of a proxiable method (undefined for unknown and gateway-owned
 * ones), with the operator's cache TTL overrides (FLICKR_CACHE_TTL_OVERRIDES)
 * applied over the catalogue's defaults. Writes are never cached.
 */
export function flickrMethodPolicy(name: string, ttlOverrides: Readonly<Record<string, number>> = {}): FlickrMethodPolicy | undefined {
  const method = BY_NAME.get(name);
  if (!method || method.gatewayOwned) return undefined;
  if (method.class === 'write') return { class: 'write', cacheTtlS: 0 };
  return { class: 'read', cacheTtlS: Object.hasOwn(ttlOverrides, name) ? ttlOverrides[name] : method.cacheTtlSeconds };
}

/** One method as GET /v1/flickr/methods shows it: the catalogue entry with the effective cache TTL. */
export type FlickrCatalogueListing = FlickrCatalogueMethod & { proxied: boolean };

/**
 * The catalogue as clients see it: every method, gateway-owned ones marked
 * (`proxied: false` and the reason), reads with the cache TTL in force
 * (FLICKR_CACHE_TTL_OVERRIDES applied).
 */
export function catalogueListing(ttlOverrides: Readonly<Record<string, number>> = {}): { sdkVersion: string; methods: FlickrCatalogueListing[] } {
  return {
    sdkVersion: FLICKR_CATALOGUE.sdkVersion,
    methods: FLICKR_CATALOGUE.methods.map((m) => ({
      ...m,
      cacheTtlSeconds: m.class === 'read' && Object.hasOwn(ttlOverrides, m.name) ? ttlOverrides[m.name] : m.cacheTtlSeconds,
      proxied: !m.gatewayOwned,
    })),
  };
}
