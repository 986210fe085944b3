import { Inject, Injectable } from '@nestjs/common';
import { Redis } from 'ioredis';

/**
 * How long a nonce must be remembered so that no replay is accepted while its timestamp is. A request stamped `ts`
 * is accepted while the verifier's clock, in whole seconds, is within `ts ± skew`, i.e. from the instant
 * `ts − skew` until just before `ts + skew + 1`: a window of `2 × skew + 1` seconds. The nonce is claimed at the
 * first acceptance, at the earliest `ts − skew`, so it must live `2 × skew + 1` seconds at least (`2 × skew`
 * left the last second of the window open to a replay). One second more covers API replicas whose clocks differ
 * slightly (the acceptance window is measured on each replica's clock, the nonce's lifetime on Redis's).
 */
export function nonceRetentionSeconds(skewSeconds: number): number {
  return 2 * skewSeconds + 2;
}

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
