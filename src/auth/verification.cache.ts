import type { Principal } from '../common/http/request-context';

interface Entry {
  principal: Principal;
  expiresAt: number;
}

/**
 * Remembers successful verifications for a short time so bcrypt does not run on
 * every request. Entries are named by a keyed hash of the presented key (never
 * the key) and dropped by key id when a key is rotated or revoked anywhere.
 * Only successes are stored. Bounded: the oldest entry goes first.
 */
export class VerificationCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  get enabled(): boolean {
    return this.ttlMs > 0;
  }

  get(name: string): Principal | undefined {
    const entry = this.entries.get(name);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(name);
      return undefined;
    }
    return entry.principal;
  }

  /**
   * Whether an entry is in the last fifth of its life: time to verify again in the background
   * (refresh-ahead), so a busy key's requests never all wait on bcrypt when the entry expires.
   */
  dueForRefresh(name: string): boolean {
    const entry = this.entries.get(name);
    return entry !== undefined && entry.expiresAt - this.now() < this.ttlMs / 5;
  }

  /** Drops one entry (its key failed verification). */
  delete(name: string): void {
    this.entries.delete(name);
  }

  /** Stores a success until the TTL or `notAfter` (key expiry, end of a rotation grace), whichever is first. */
  set(name: string, principal: Principal, notAfter?: number): void {
    if (!this.enabled) return;
    const expiresAt = Math.min(this.now() + this.ttlMs, notAfter ?? Number.POSITIVE_INFINITY);
    if (expiresAt <= this.now()) return;
    this.entries.delete(name);
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(name, { principal, expiresAt });
  }

  /** Drops every entry of one key (all of its secrets). */
  invalidate(keyId: string): void {
    for (const [name, entry] of this.entries) if (entry.principal.keyId === keyId) this.entries.delete(name);
  }

  get size(): number {
    return this.entries.size;
  }
}
