import { DataKeyCache } from '../../src/kms/data-key.cache';

describe('DataKeyCache bounds', () => {
  it('evicts the least recently used entry beyond maxEntries', async () => {
    const cache = new DataKeyCache(2, 60000);
    const load = (b: number) => async () => Buffer.alloc(32, b);
    await cache.get('a', load(1));
    await cache.get('b', load(2));
    await cache.get('a', load(9)); // hit: a becomes most recent
    await cache.get('c', load(3));
    expect(cache.size).toBe(2);
    expect(cache.peek('b')).toBeUndefined();
    expect(cache.peek('a')?.[0]).toBe(1);
  });

  it('expires entries after the TTL', async () => {
    let now = 0;
    const cache = new DataKeyCache(10, 1000, () => now);
    const loader = jest.fn(async () => Buffer.alloc(32, 7));
    await cache.get('k', loader);
    now = 999;
    await cache.get('k', loader);
    expect(loader).toHaveBeenCalledTimes(1);
    now = 1000;
    await cache.get('k', loader);
    expect(loader).toHaveBeenCalledTimes(2);
  });

  it('loads once for concurrent misses and does not cache failures', async () => {
    const cache = new DataKeyCache(10, 1000);
    const loader = jest.fn(async () => Buffer.alloc(32));
    await Promise.all([cache.get('k', loader), cache.get('k', loader), cache.get('k', loader)]);
    expect(loader).toHaveBeenCalledTimes(1);
    const failing = jest.fn(async (): Promise<Buffer> => {
      throw new Error('down');
    });
    await expect(cache.get('x', failing)).rejects.toThrow('down');
    await expect(cache.get('x', failing)).rejects.toThrow('down');
    expect(failing).toHaveBeenCalledTimes(2);
  });

  it('caches nothing when disabled', async () => {
    const cache = new DataKeyCache(0, 1000);
    const loader = jest.fn(async () => Buffer.alloc(32));
    await cache.get('k', loader);
    await cache.get('k', loader);
    expect(loader).toHaveBeenCalledTimes(2);
  });
});
