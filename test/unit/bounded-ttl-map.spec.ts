import { BoundedTtlMap } from '../../src/common/cache/bounded-ttl-map';

function clocked(options: { ttlMs?: number; maxEntries?: number; touchOnRead?: boolean } = {}) {
  const clock = { now: 1_000 };
  const map = new BoundedTtlMap<string, number>({ ttlMs: 100, maxEntries: 10, ...options, now: () => clock.now });
  return { map, clock };
}

describe('BoundedTtlMap', () => {
  it('serves a value until its TTL, then forgets it', () => {
    const { map, clock } = clocked();
    expect(map.set('a', 1)).toBe(true);
    clock.now = 1_099;
    expect(map.get('a')).toBe(1);
    expect(map.expiresAt('a')).toBe(1_100);
    clock.now = 1_100;
    expect(map.get('a')).toBeUndefined();
    expect(map.expiresAt('a')).toBeUndefined();
    expect(map.size).toBe(0);
  });

  it('ends an entry at notAfter when that is sooner than the TTL, and stores nothing already past it', () => {
    const { map, clock } = clocked();
    map.set('a', 1, { notAfter: 1_050 });
    expect(map.set('b', 2, { notAfter: 1_000 })).toBe(false);
    clock.now = 1_050;
    expect([map.get('a'), map.get('b')]).toEqual([undefined, undefined]);
  });

  it('stores nothing with a TTL or a bound of 0', () => {
    for (const off of [clocked({ ttlMs: 0 }).map, clocked({ maxEntries: 0 }).map]) {
      expect(off.enabled).toBe(false);
      expect(off.set('a', 1)).toBe(false);
      expect(off.get('a')).toBeUndefined();
    }
  });

  it('drops the first stored entry past the bound; storing a key again makes it the newest', () => {
    const { map } = clocked({ maxEntries: 2 });
    map.set('a', 1);
    map.set('b', 2);
    map.set('a', 3);
    map.set('c', 4);
    expect([map.get('a'), map.get('b'), map.get('c')]).toEqual([3, undefined, 4]);
    expect(map.size).toBe(2);
  });

  it('without touchOnRead a read keeps the entry in its place; with it the least recently read goes first', () => {
    for (const [touchOnRead, survivor] of [
      [false, 'b'],
      [true, 'a'],
    ] as const) {
      const { map } = clocked({ maxEntries: 2, touchOnRead });
      map.set('a', 1);
      map.set('b', 2);
      map.get('a');
      map.set('c', 3);
      expect(map.get(survivor)).toBeDefined();
      expect(map.get(survivor === 'a' ? 'b' : 'a')).toBeUndefined();
    }
  });

  it('does not store a value read before a removal (delete, deleteWhere or clear)', () => {
    const removals: Array<(m: BoundedTtlMap<string, number>) => void> = [
      (m) => m.delete('a'),
      (m) => m.deleteWhere(() => false),
      (m) => m.clear(),
    ];
    for (const remove of removals) {
      const { map } = clocked();
      const epoch = map.epoch;
      remove(map);
      expect(map.set('a', 1, { readAtEpoch: epoch })).toBe(false);
      expect(map.get('a')).toBeUndefined();
      expect(map.set('a', 1, { readAtEpoch: map.epoch })).toBe(true);
    }
  });

  it('deleteWhere drops exactly the entries that match', () => {
    const { map } = clocked();
    map.set('a', 1);
    map.set('b', 2);
    map.set('c', 3);
    map.deleteWhere((value, key) => value % 2 === 1 && key !== 'c');
    expect([map.get('a'), map.get('b'), map.get('c')]).toEqual([undefined, 2, 3]);
  });
});
