/** How a {@link BoundedTtlMap} keeps its entries. */
export interface BoundedTtlMapOptions {
  /** How long an entry lives, in ms; 0 stores nothing (the cache is off). */
  ttlMs: number;
  /** Most entries kept; past it the oldest goes first. 0 stores nothing. */
  maxEntries: number;
  /**
   * Whether a read makes an entry the newest (least recently used goes first) rather than
   * keeping its place (first stored goes first).
   */
  touchOnRead?: boolean;
  /** The clock, in ms (tests pass their own). */
  now?: () => number;
}

/** Conditions on one {@link BoundedTtlMap.set}. */
export interface BoundedTtlMapSetOptions {
  /**
   * The {@link BoundedTtlMap.epoch} read before the value was fetched: if anything was removed since,
   * the value may predate that removal and is not stored.
   */
  readAtEpoch?: number;
  /** A time (ms) the entry must not outlive, when it is sooner than the TTL. */
  notAfter?: number;
}

interface Entry<V> {
  value: V;
  expiresAt: number;
}

/**
 * The in-process map under the gateway's small caches: entries expire after a TTL, the count is
 * bounded (Map iteration is insertion order, so the first key is the one to drop), and an epoch
 * guard keeps a slow read from putting back a value that a removal made while it was in flight.
 */
export class BoundedTtlMap<K, V> {
  private readonly entries = new Map<K, Entry<V>>();
  private readonly now: () => number;
  private epochCounter = 0;

  constructor(private readonly options: BoundedTtlMapOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Whether anything is stored at all (TTL and bound above 0). */
  get enabled(): boolean {
    return this.options.ttlMs > 0 && this.options.maxEntries > 0;
  }

  get ttlMs(): number {
    return this.options.ttlMs;
  }

  /** Counts removals (delete, deleteWhere, clear); pass it back as `readAtEpoch` to {@link set}. */
  get epoch(): number {
    return this.epochCounter;
  }

  /** How many entries are held (expired ones included until they are read). */
  get size(): number {
    return this.entries.size;
  }

  /** The live value for `key`, or undefined (an expired entry is dropped). */
  get(key: K): V | undefined {
    const entry = this.live(key);
    if (entry && this.options.touchOnRead) {
      this.entries.delete(key);
      this.entries.set(key, entry);
    }
    return entry?.value;
  }

  /** When the live entry for `key` expires (ms), or undefined when there is none. */
  expiresAt(key: K): number | undefined {
    return this.live(key)?.expiresAt;
  }

  /**
   * Stores `value` as the newest entry, dropping the oldest past the bound. Returns whether it was
   * stored: not when the map is off, the epoch moved since `readAtEpoch`, or `notAfter` has passed.
   */
  set(key: K, value: V, options: BoundedTtlMapSetOptions = {}): boolean {
    if (!this.enabled) return false;
    if (options.readAtEpoch !== undefined && options.readAtEpoch !== this.epochCounter) return false;
    const now = this.now();
    const expiresAt = Math.min(now + this.options.ttlMs, options.notAfter ?? Number.POSITIVE_INFINITY);
    if (expiresAt <= now) return false;
    this.entries.delete(key);
    while (this.entries.size >= this.options.maxEntries) {
      const oldest = this.entries.keys().next().value as K;
      this.entries.delete(oldest);
    }
    this.entries.set(key, { value, expiresAt });
    return true;
  }

  /** Drops one entry; reads in flight (older epoch) will not store theirs. */
  delete(key: K): void {
    this.epochCounter++;
    this.entries.delete(key);
  }

  /** Drops every entry whose value (or key) matches; reads in flight will not store theirs. */
  deleteWhere(matches: (value: V, key: K) => boolean): void {
    this.epochCounter++;
    for (const [key, entry] of this.entries) if (matches(entry.value, key)) this.entries.delete(key);
  }

  /** Drops everything; reads in flight will not store theirs. */
  clear(): void {
    this.epochCounter++;
    this.entries.clear();
  }

  private live(key: K): Entry<V> | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }
}
