import { addressBucket } from '../../src/common/http/client-address';
import { parseScopedUserKey, scopedUserKey } from '../../src/users/user.identity';

describe('scoped user keys', () => {
  it('round-trips (client_id, user_id) and tells two clients apart', () => {
    const key = scopedUserKey({ clientId: 'acme', userId: 'user:1.a' });
    expect(key).toBe('acme/user:1.a');
    expect(parseScopedUserKey(key)).toEqual({ clientId: 'acme', userId: 'user:1.a' });
    expect(scopedUserKey({ clientId: 'a', userId: 'u1' })).not.toBe(scopedUserKey({ clientId: 'b', userId: 'u1' }));
  });

  it('refuses anything that is not exactly one client and one user (e.g. a legacy bare user_id)', () => {
    for (const bad of ['u1', '/u1', 'acme/', 'a/b/c', '']) expect(parseScopedUserKey(bad)).toBeUndefined();
  });
});

describe('addressBucket (brute-force counting)', () => {
  it('keeps IPv4 addresses as they are', () => {
    expect(addressBucket('203.0.113.7')).toBe('203.0.113.7');
  });

  it('counts IPv6 addresses by their /64, however they are written', () => {
    const bucket = addressBucket('2001:db8:1:2::1');
    expect(bucket).toBe('2001:db8:1:2::/64');
    expect(addressBucket('2001:0db8:0001:0002:ffff:ffff:ffff:ffff')).toBe(bucket);
    expect(addressBucket('2001:DB8:1:2:0:0:0:abcd')).toBe(bucket);
    expect(addressBucket('2001:db8:1:3::1')).not.toBe(bucket);
    expect(addressBucket('::1')).toBe('0:0:0:0::/64');
    expect(addressBucket('fe80::1')).toBe('fe80:0:0:0::/64');
  });

  it('leaves what is not an IP alone', () => {
    expect(addressBucket('unknown')).toBe('unknown');
  });
});
