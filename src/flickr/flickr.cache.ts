import { hash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { Redis } from 'ioredis';

/** Redis adapter of the read cache: get and put JSON answers by key, nothing else. */
@Injectable()
export class FlickrCache {
  constructor(@Inject(Redis) private readonly redis: Redis) {}

  /**
   * The key of one read: the user's cache scope (its client-scoped key and
   * incarnation, see FlickrProxyService), method and the parameters sorted,
   * hashed (parameters may hold search text). The scope sits in braces so a
   * user's entries share one prefix that no other user's can extend.
   */
  static key(userScope: string, method: string, params: Record<string, string>): string {
    const sorted = Object.keys(params)
      .sort()
      .map((k) => [k, params[k]]);
    // One-shot crypto.hash: half the cost of createHash().update().digest() on this per-request path.
    const digest = hash('sha256', JSON.stringify(sorted), 'base64url');
    return `flickr:cache:{${userScope}}:${method}:${digest}`;
  }

  /** The cached answer as stored: JSON text, served as is (a cache hit never parses nor re-serialises it). */
  async get(key: string): Promise<string | undefined> {
    return (await this.redis.get(key)) ?? undefined;
  }

  /**
   * The cached answer with its remaining lifetime in ms, in one round trip (both commands leave in the
   * same write on the auto-pipelined connection): what the in-process copy may not outlive.
   */
  async getWithTtl(key: string): Promise<{ json: string; remainingMs: number } | undefined> {
    const [json, remainingMs] = await Promise.all([this.redis.get(key), this.redis.pttl(key)]);
    return json === null ? undefined : { json, remainingMs };
  }

  async put(key: string, json: string, ttlS: number): Promise<void> {
    await this.redis.set(key, json, 'EX', ttlS);
  }

  /**
   * Deletes every cached answer whose scope starts with `scopePrefix` (all
   * incarnations of one user); returns how many. A SCAN, not an index of keys
   * per user: erasing is rare and this keeps every cache write one command.
   * Scope characters are `[A-Za-z0-9._:/#-]`, none special in a MATCH pattern.
   */
  async purge(scopePrefix: string): Promise<number> {
    // ioredis prefixes command keys but not SCAN's MATCH pattern nor the keys SCAN returns: the pattern
    // gets the connection's prefix here, and the found keys lose it before UNLINK adds it back.
    const prefix = this.redis.options.keyPrefix ?? '';
    let cursor = '0';
    let deleted = 0;
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${prefix}flickr:cache:{${scopePrefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await this.redis.unlink(...keys.map((k) => k.slice(prefix.length)));
    } while (cursor !== '0');
    return deleted;
  }
}
