import { createHash } from 'node:crypto';
import { cacheKeyOf, formatApiKey, newKeyId, newSecret, parseApiKey } from '../../src/auth/api-key.format';
import { cidrList, clientIp, listContains } from '../../src/common/http/client-address';
import { canonicalQuery } from '../../src/auth/hmac.signing';
import type { Principal } from '../../src/common/http/request-context';
import { VerificationCache } from '../../src/auth/verification.cache';

const principal = (keyId: string): Principal => ({ keyId, clientId: 'c', role: 'client', ipAllowlist: [], method: 'api-key' });

describe('API-key format', () => {
  it('round-trips and rejects anything else', () => {
    const id = newKeyId();
    const secret = newSecret();
    const key = formatApiKey(id, secret);
    expect(key).toMatch(/^fgw_[a-z2-7]{12}_[A-Za-z0-9_-]{43}$/);
    expect(parseApiKey(key)).toEqual({ keyId: id, secret });
    expect(parseApiKey(`${key}x`)).toBeUndefined();
    expect(parseApiKey(`fgx_${id}_${secret}`)).toBeUndefined();
  });

  it('names cache entries by a keyed hash, not the key', () => {
    const name = cacheKeyOf('key-one', 'fgw_abc');
    expect(name).not.toContain('fgw_abc');
    expect(name).toBe(cacheKeyOf('key-one', 'fgw_abc'));
    expect(cacheKeyOf('key-two', 'fgw_abc')).not.toBe(name);
    expect(cacheKeyOf('key-one', 'fgw_abd')).not.toBe(name);
    // Not the unkeyed hash of the key either: without the process's secret prefix a name cannot be computed.
    expect(name).not.toBe(createHash('sha256').update('fgw_abc').digest('base64url'));
  });
});

describe('VerificationCache', () => {
  it('expires entries after the TTL or at notAfter, whichever is first', () => {
    let now = 1000;
    const cache = new VerificationCache(100, 10, () => now);
    cache.set('a', principal('k1'), '$2b$hash');
    cache.set('b', principal('k1'), '$2b$hash', 1050);
    now = 1060;
    expect(cache.get('a')).toBeDefined();
    expect(cache.verifiedHash('a')).toBe('$2b$hash');
    expect(cache.get('b')).toBeUndefined();
    expect(cache.verifiedHash('b')).toBeUndefined();
    now = 1101;
    expect(cache.get('a')).toBeUndefined();
  });

  it('invalidates every entry of a key id, is bounded, and stores nothing with TTL 0', () => {
    const cache = new VerificationCache(1000, 2);
    cache.set('a', principal('k1'), '$2b$hash');
    cache.set('b', principal('k2'), '$2b$hash');
    cache.invalidate('k1');
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('b')).toBeDefined();
    cache.set('c', principal('k3'), '$2b$hash');
    cache.set('d', principal('k4'), '$2b$hash');
    expect(cache.size).toBe(2);
    const off = new VerificationCache(0, 10);
    off.set('a', principal('k1'), '$2b$hash');
    expect(off.get('a')).toBeUndefined();
  });
});

describe('client address', () => {
  it('matches IPv4 and IPv6 CIDRs, including IPv4-mapped socket addresses', () => {
    const list = cidrList(['203.0.113.0/24', '2001:db8::/32']);
    expect(listContains(list, '203.0.113.9')).toBe(true);
    expect(listContains(list, '203.0.114.1')).toBe(false);
    expect(listContains(list, '2001:db8::1')).toBe(true);
    expect(clientIp('::ffff:203.0.113.9', undefined, undefined)).toBe('203.0.113.9');
    expect(() => cidrList(['nope'])).toThrow();
    expect(() => cidrList(['10.0.0.0/33'])).toThrow();
  });

  it('ignores X-Forwarded-For unless the peer is trusted, then skips trusted hops from the right', () => {
    const trusted = cidrList(['10.0.0.0/8']);
    expect(clientIp('198.51.100.7', '1.2.3.4', undefined)).toBe('198.51.100.7');
    expect(clientIp('198.51.100.7', '1.2.3.4', trusted)).toBe('198.51.100.7');
    expect(clientIp('10.0.0.2', '1.2.3.4, 5.6.7.8, 10.0.0.9', trusted)).toBe('5.6.7.8');
    expect(clientIp('10.0.0.2', undefined, trusted)).toBe('10.0.0.2');
  });
});

describe('canonical query', () => {
  it('sorts encoded pairs byte-wise without decoding', () => {
    expect(canonicalQuery('b=2&a=1&B=3&a=%20')).toBe('B=3&a=%20&a=1&b=2');
    expect(canonicalQuery('')).toBe('');
    expect(canonicalQuery('a=1&&b=2')).toBe('a=1&b=2');
  });
});
