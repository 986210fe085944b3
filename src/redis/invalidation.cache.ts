import { BoundedTtlMap } from '../common/cache/bounded-ttl-map';
import type { InvalidationChannel } from './invalidation.channel';

/**
 * A replica's short-lived copy of records that any replica may change, kept coherent by an
 * {@link InvalidationChannel}: every announced change drops its entry here, and a reconnecting
 * subscriber drops everything (announcements may have been missed meanwhile). Bounded (oldest out
 * first) and short-lived; a feature extends it with its channel, TTL and bound.
 *
 * A read that started before a change must not put the old state back: read {@link epoch} before
 * fetching and pass it to {@link set}, which stores nothing if a change was seen since.
 */
export abstract class InvalidationCache<V> {
  private readonly entries: BoundedTtlMap<string, V>;

  protected constructor(
    channel: Pick<InvalidationChannel, 'onChange' | 'onResubscribed'>,
    bounds: { ttlMs: number; maxEntries: number },
  ) {
    this.entries = new BoundedTtlMap(bounds);
    channel.onChange((key) => this.invalidate(key));
    channel.onResubscribed(() => this.clear());
  }

  /** The invalidation count; pass it back to {@link set} so a read older than a change is not cached. */
  get epoch(): number {
    return this.entries.epoch;
  }

  /** The cached value, or undefined when not cached (or expired). */
  get(key: string): V | undefined {
    return this.entries.get(key);
  }

  /** Caches `value` unless a change was seen since `readAtEpoch` (or the cache is off: TTL 0). */
  set(key: string, value: V, readAtEpoch: number): void {
    this.entries.set(key, value, { readAtEpoch });
  }

  invalidate(key: string): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}
