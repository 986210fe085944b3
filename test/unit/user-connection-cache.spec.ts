import { UserConnectionCache } from '../../src/users/user-connection.cache';
import type { UserChangeBus } from '../../src/users/user-change.bus';
import type { UserRecord } from '../../src/users/user.schema';
import { UsersConfig } from '../../src/users/users.config';

/** A bus whose announcements the test delivers by hand. */
function harness(overrides: Partial<UsersConfig> = {}) {
  const listeners: Array<(key: string) => void> = [];
  const resubscribed: Array<() => void> = [];
  const bus = { onChange: (l: (key: string) => void) => listeners.push(l), onResubscribed: (l: () => void) => resubscribed.push(l) } as unknown as UserChangeBus;
  const cache = new UserConnectionCache(Object.assign(new UsersConfig(), overrides), bus);
  return { cache, announce: (key: string) => listeners.forEach((l) => l(key)), reconnect: () => resubscribed.forEach((l) => l()) };
}

const record = (userId: string) => ({ _id: `c/${userId}`, client_id: 'c', user_id: userId }) as unknown as UserRecord;

describe('UserConnectionCache', () => {
  it('serves a stored record until an announcement for that user drops it', () => {
    const { cache, announce } = harness();
    cache.set('c/a', record('a'), cache.epoch);
    cache.set('c/b', record('b'), cache.epoch);
    announce('c/a');
    expect(cache.get('c/a')).toBeUndefined();
    expect(cache.get('c/b')).toEqual(record('b'));
  });

  it('does not store a record read before a change was announced (the read may predate it)', () => {
    const { cache, announce } = harness();
    const epoch = cache.epoch;
    announce('c/a'); // the change lands while the read is in flight
    cache.set('c/a', record('a'), epoch);
    expect(cache.get('c/a')).toBeUndefined();
  });

  it('drops everything when the subscriber reconnects (announcements may have been missed)', () => {
    const { cache, reconnect } = harness();
    cache.set('c/a', record('a'), cache.epoch);
    reconnect();
    expect(cache.get('c/a')).toBeUndefined();
  });

  it('expires entries after the TTL, and stores nothing with a TTL of 0', () => {
    jest.useFakeTimers({ now: 1_000_000 });
    try {
      const { cache } = harness({ USERS_CONNECTION_CACHE_TTL_MS: 1000 });
      cache.set('c/a', record('a'), cache.epoch);
      jest.setSystemTime(1_000_999);
      expect(cache.get('c/a')).toBeDefined();
      jest.setSystemTime(1_001_000);
      expect(cache.get('c/a')).toBeUndefined();
      const off = harness({ USERS_CONNECTION_CACHE_TTL_MS: 0 }).cache;
      off.set('c/a', record('a'), off.epoch);
      expect(off.get('c/a')).toBeUndefined();
    } finally {
      jest.useRealTimers();
    }
  });

  it('is bounded: past the maximum, the oldest entry goes first', () => {
    const { cache } = harness({ USERS_CONNECTION_CACHE_MAX_ENTRIES: 2 });
    for (const id of ['a', 'b', 'c']) cache.set(`c/${id}`, record(id), cache.epoch);
    expect([cache.get('c/a'), cache.get('c/b')?.user_id, cache.get('c/c')?.user_id]).toEqual([undefined, 'b', 'c']);
  });
});
