import { BoundedTtlMap } from '../common/cache/bounded-ttl-map';

/**
 * Unwrapped data keys, bounded by count (LRU) and age. A hit saves a round trip
 * to the key service on every read. Why these bounds are safe: see docs/security/encryption.md.
 * Keys are not zeroed on eviction: a caller may still hold the buffer across an
 * await, and the JS heap gives no guarantee a zeroed copy is the only copy anyway.
 */
export class DataKeyCache {
  private readonly entries: BoundedTtlMap<string, Buffer>;
  private readonly inflight = new Map<string, Promise<Buffer>>();
  hits = 0;
  misses = 0;

  constructor(maxEntries: number, ttlMs: number, now: () => number = Date.now) {
    this.entries = new BoundedTtlMap({ maxEntries, ttlMs, now, touchOnRead: true });
  }

  get size(): number {
    return this.entries.size;
  }

  /** The cached key for `id`, or `load()` once for concurrent callers, then cached. */
  async get(id: string, load: () => Promise<Buffer>): Promise<Buffer> {
    const hit = this.peek(id);
    if (hit) {
      this.hits++;
      return hit;
    }
    this.misses++;
    let pending = this.inflight.get(id);
    if (!pending) {
      pending = load().then(
        (key) => {
          this.inflight.delete(id);
          this.set(id, key);
          return key;
        },
        (error: unknown) => {
          this.inflight.delete(id);
          throw error;
        },
      );
      this.inflight.set(id, pending);
    }
    return pending;
  }

  peek(id: string): Buffer | undefined {
    return this.entries.get(id);
  }

  set(id: string, key: Buffer): void {
    this.entries.set(id, key);
  }

  clear(): void {
    this.entries.clear();
  }
}
