import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { Redis } from 'ioredis';

/** Longer than a Flickr call's timeout: the lock outlives the exchange it guards, unless a process dies. */
const HOLD_MS = 30_000;

/**
 * Redis adapter: a short exclusive lock per request token, so one request
 * token is exchanged at most once even when verifies race. MongoDB's
 * conditional update would be enough on MongoDB, but FerretDB 1.x let several
 * concurrent conditional updates of one document all report success.
 */
@Injectable()
export class OAuthClaimLock {
  constructor(@Inject(Redis) private readonly redis: Redis) {}

  /** A release function when this caller holds the lock, or null when another does. */
  async acquire(requestToken: string): Promise<(() => Promise<void>) | null> {
    const key = `oauth:claim:${requestToken}`;
    const owner = randomBytes(8).toString('hex');
    const ok = await this.redis.set(key, owner, 'PX', HOLD_MS, 'NX');
    if (ok !== 'OK') return null;
    return async () => {
      // Only the owner deletes: an expired lock may already belong to someone else.
      await this.redis.eval("if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0", 1, key, owner);
    };
  }
}
