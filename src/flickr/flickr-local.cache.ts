import { Injectable } from '@nestjs/common';
import { BoundedTtlMap } from '../common/cache/bounded-ttl-map';
import { FlickrConfig } from './flickr.config';

/** Answers above this size are left to Redis: the in-process copy is for small, hot reads. */
const MAX_LOCAL_BYTES = 64 * 1024;

/**
 * This process's copy of hot cached answers, in front of Redis (the shared read cache). A hit
 * costs no round trip; an entry never outlives the answer's remaining lifetime in Redis (its
 * PTTL, read in the same round trip as the answer), so no read is ever served older than its
 * cache TTL allows. Entries are keyed like Redis' (the user's scope includes its incarnation,
 * so an erased and re-created user never sees them), and erasing a user drops them here too.
 */
@Injectable()
export class FlickrLocalCache {
  // Kept as bytes: a hit is written to the socket as is, not encoded to UTF-8 and measured for Content-Length again
  // on every hit. (Most of what the profile had charged to that encoding turned out to be the write itself:
  // docs/performance.md, fourth round.)
  private readonly answers: BoundedTtlMap<string, Buffer>;

  constructor(config: FlickrConfig) {
    this.answers = new BoundedTtlMap({ ttlMs: config.FLICKR_CACHE_LOCAL_TTL_MS, maxEntries: config.FLICKR_CACHE_LOCAL_MAX_ENTRIES });
  }

  /** The answer stored under `key`, if still live here. */
  get(key: string): Buffer | undefined {
    return this.answers.get(key);
  }

  /** Keeps `body` (the answer's UTF-8 JSON) for at most the local TTL and never beyond `remainingMs` from now. */
  put(key: string, body: Buffer, remainingMs: number): void {
    if (body.length > MAX_LOCAL_BYTES || remainingMs <= 0) return;
    this.answers.set(key, body, { notAfter: Date.now() + remainingMs });
  }

  /** Drops the answers of every scope that starts with `scopePrefix` (see FlickrCache.purge). */
  purge(scopePrefix: string): void {
    const prefix = `flickr:cache:{${scopePrefix}`;
    this.answers.deleteWhere((_value, key) => key.startsWith(prefix));
  }
}
