import { randomBytes } from 'node:crypto';
import { loadSlice } from '../../src/config/env.validation';
import { NonceStore, nonceRetentionSeconds } from '../../src/auth/nonce.store';
import { RedisConfig } from '../../src/redis/redis.config';
import { RedisConnectionFactory } from '../../src/redis/redis.factory';

/** The nonce store against the real Redis: a nonce is claimed once, for the lifetime the verifier asks. */
describe('NonceStore (real Redis)', () => {
  const redis = new RedisConnectionFactory(loadSlice(RedisConfig, process.env)).create('nonce-store-test');
  const store = new NonceStore(redis);

  const used: string[] = [];
  const claim = (keyId: string, nonce: string, ttl: number) => {
    used.push(`auth:nonce:${keyId}:${nonce}`);
    return store.claim(keyId, nonce, ttl);
  };

  afterAll(async () => {
    await redis.del(...used);
    redis.disconnect();
  });

  it('claims a nonce once and keeps it for the whole retention the verifier asks (2 × skew + 2 s)', async () => {
    const nonce = randomBytes(12).toString('hex');
    const ttl = nonceRetentionSeconds(300);
    expect(ttl).toBe(602);
    expect(await claim('abcdefghijkl', nonce, ttl)).toBe(true);
    expect(await claim('abcdefghijkl', nonce, ttl)).toBe(false);
    // Another key may use the same nonce.
    expect(await claim('mnopqrstuvwx', nonce, ttl)).toBe(true);
    const left = await redis.pttl(`auth:nonce:abcdefghijkl:${nonce}`);
    expect(left).toBeGreaterThan((ttl - 5) * 1000);
    expect(left).toBeLessThanOrEqual(ttl * 1000);
  });

  it('frees a nonce once its retention has passed', async () => {
    const nonce = randomBytes(12).toString('hex');
    expect(await claim('abcdefghijkl', nonce, 1)).toBe(true);
    await new Promise((r) => setTimeout(r, 1300));
    expect(await claim('abcdefghijkl', nonce, 1)).toBe(true);
  });
});
