import type { RateLimitClass } from '../rate-limit/rate-limit.types';

/** How the proxy treats one allowed Flickr method. */
export interface FlickrMethodPolicy {
  /** Feeds the per-user rate-limit quotas. */
  class: Extract<RateLimitClass, 'read' | 'write' | 'upload'>;
  /** Seconds a read answer is cached per user and parameters; 0 = never cached. */
  cacheTtlS: number;
}

/**
 * The allowlist: only these methods can be called through the proxy. Reads are
 * idempotent (retried, cached); writes are never retried nor cached.
 */
export const FLICKR_METHODS: Readonly<Record<string, FlickrMethodPolicy>> = {
  'flickr.test.login': { class: 'read', cacheTtlS: 60 },
  'flickr.people.getInfo': { class: 'read', cacheTtlS: 300 },
  'flickr.photos.search': { class: 'read', cacheTtlS: 60 },
  'flickr.photos.getInfo': { class: 'read', cacheTtlS: 300 },
  'flickr.photosets.getList': { class: 'read', cacheTtlS: 120 },
  'flickr.photos.upload.checkTickets': { class: 'upload', cacheTtlS: 0 },
  'flickr.photos.addTags': { class: 'write', cacheTtlS: 0 },
  'flickr.photos.setMeta': { class: 'write', cacheTtlS: 0 },
  'flickr.photos.delete': { class: 'write', cacheTtlS: 0 },
  'flickr.photosets.create': { class: 'write', cacheTtlS: 0 },
};

export function flickrMethodPolicy(method: string): FlickrMethodPolicy | undefined {
  return Object.hasOwn(FLICKR_METHODS, method) ? FLICKR_METHODS[method] : undefined;
}
