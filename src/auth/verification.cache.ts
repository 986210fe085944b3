import { BoundedTtlMap } from '../common/cache/bounded-ttl-map';
import type { Principal } from '../common/http/request-context';

/** A success: who the key is, and the stored bcrypt hash the presented secret matched. */
interface Verified {
  principal: Principal;
  secretHash: string;
}

/**
 * Remembers successful verifications for a short time so bcrypt does not run on
 * every request. Entries are named by a keyed hash of the presented key (never
 * the key) and dropped by key id when a key is rotated or revoked anywhere.
 * Only successes are stored. Bounded: the oldest entry goes first.
 */
export class VerificationCache {
  private readonly entries: BoundedTtlMap<string, Verified>;

  constructor(
    ttlMs: number,
    maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {
    this.entries = new BoundedTtlMap({ ttlMs, maxEntries, now });
  }

  get enabled(): boolean {
    return this.entries.enabled;
  }

  get(name: string): Principal | undefined {
    return this.entries.get(name)?.principal;
  }

  /** The stored bcrypt hash the entry's secret was verified against (what a renewal may compare instead of bcrypt). */
  verifiedHash(name: string): string | undefined {
    return this.entries.get(name)?.secretHash;
  }

  /**
   * Whether an entry is in the last fifth of its life: time to verify again in the background
   * (refresh-ahead), so a busy key's requests never all wait on bcrypt when the entry expires.
   */
  dueForRefresh(name: string): boolean {
    const expiresAt = this.entries.expiresAt(name);
    return expiresAt !== undefined && expiresAt - this.now() < this.entries.ttlMs / 5;
  }

  /** Drops one entry (its key failed verification). */
  delete(name: string): void {
    this.entries.delete(name);
  }

  /**
   * Stores a success (the presented secret matched `secretHash`) until the TTL or `notAfter` (key expiry, end of a
   * rotation grace), whichever is first.
   */
  set(name: string, principal: Principal, secretHash: string, notAfter?: number): void {
    this.entries.set(name, { principal, secretHash }, { notAfter });
  }

  /** Drops every entry of one key (all of its secrets). */
  invalidate(keyId: string): void {
    this.entries.deleteWhere((entry) => entry.principal.keyId === keyId);
  }

  get size(): number {
    return this.entries.size;
  }
}
