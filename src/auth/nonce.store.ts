import { Inject, Injectable } from '@nestjs/common';
import { Redis } from 'ioredis';

/** Redis adapter: remembers a nonce per key for a time; claiming it twice fails. */
@Injectable()
export class NonceStore {
  constructor(@Inject(Redis) private readonly redis: Redis) {}

  /** True the first time (key id, nonce) is claimed within `ttlSeconds`, false afterwards. */
  async claim(keyId: string, nonce: string, ttlSeconds: number): Promise<boolean> {
    const result = await this.redis.set(`auth:nonce:${keyId}:${nonce}`, '1', 'EX', ttlSeconds, 'NX');
    return result === 'OK';
  }
}
