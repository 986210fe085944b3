/**
 * Unwrapped data keys, bounded by count (LRU) and age. A hit saves a round trip
 * to the key service on every read. Why these bounds are safe: see docs/security/encryption.md.
 * Keys are not zeroed on eviction: a caller may still hold the buffer across an
 * await, and the JS heap gives no guarantee a zeroed copy is the only copy anyway.
 */
export class DataKeyCache {
  private readonly entries = new Map<string, { key: Buffer; expiresAt: number }>();
  private readonly inflight = new Map<string, Promise<Buffer>>();
  hits = 0;
  misses = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

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
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(id);
      return undefined;
    }
    // Re-insert to mark as most recently used (Map keeps insertion order).
    this.entries.delete(id);
    this.entries.set(id, entry);
    return entry.key;
  }

  set(id: string, key: Buffer): void {
    if (this.maxEntries === 0 || this.ttlMs === 0) return;
    this.entries.delete(id);
    this.entries.set(id, { key, expiresAt: this.now() + this.ttlMs });
    while (this.entries.size > this.maxEntries) {
      this.entries.delete(this.entries.keys().next().value!);
    }
  }

  clear(): void {
    this.entries.clear();
  }
}
