import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { Redis } from 'ioredis';

/** Redis adapter of the read cache: get and put JSON answers by key, nothing else. */
@Injectable()
export class FlickrCache {
  constructor(@Inject(Redis) private readonly redis: Redis) {}

  /** The key of one read: user, method and the parameters sorted, hashed (parameters may hold search text). */
  static key(userId: string, method: string, params: Record<string, string>): string {
    const sorted = Object.keys(params)
      .sort()
      .map((k) => [k, params[k]]);
    const digest = createHash('sha256').update(JSON.stringify(sorted)).digest('base64url');
    return `flickr:cache:${userId}:${method}:${digest}`;
  }

  async get(key: string): Promise<Record<string, unknown> | undefined> {
    const raw = await this.redis.get(key);
    return raw ? (JSON.parse(raw) as Record<string, unknown>) : undefined;
  }

  async put(key: string, value: Record<string, unknown>, ttlS: number): Promise<void> {
    await this.redis.set(key, JSON.stringify(value), 'EX', ttlS);
  }
}
