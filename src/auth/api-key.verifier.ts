import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import bcrypt from 'bcrypt';
import { cacheKeyOf, parseApiKey } from './api-key.format';
import { ApiKeyRepository } from './api-key.repository';
import type { ApiKeyRecord } from './api-key.schema';
import { AuthConfig } from './auth.config';
import { VerificationFailed } from './auth.errors';
import { AuthMetrics } from './auth.metrics';
import { KeyInvalidationBus } from './key-invalidation.bus';
import type { Principal } from '../common/http/request-context';
import { type SigningSecrets, SigningSecretSealer } from './signing-secret.sealer';
import { VerificationCache } from './verification.cache';

/** A well-formed `X-API-Key` value, parsed and hashed once per request (the hash names its cache entry). */
export interface PresentedApiKey {
  readonly value: string;
  readonly keyId: string;
  readonly secret: string;
  readonly cacheName: string;
}

interface SigningEntry {
  record: ApiKeyRecord;
  secrets: SigningSecrets;
  expiresAt: number;
}

function principalOf(r: ApiKeyRecord, method: Principal['method']): Principal {
  return {
    keyId: r.key_id,
    clientId: r.client_id,
    role: r.role,
    ipAllowlist: r.ip_allowlist ?? [],
    rateLimit: r.rate_limit_override ?? null,
    method,
    queueWeight: r.queue_weight ?? 1,
  };
}

/**
 * Verifies presented credentials without running bcrypt (or the KMS) per
 * request: successful API-key verifications and opened signing secrets are
 * remembered for AUTH_VERIFY_CACHE_TTL_MS, and forgotten at once when a key
 * changes here or on another replica (the key-invalidation bus).
 */
@Injectable()
export class ApiKeyVerifier implements OnModuleInit {
  readonly cache: VerificationCache;
  private readonly signing = new Map<string, SigningEntry>();
  /** The secret prefix of cache names (cacheKeyOf). */
  private readonly hashKey: string;
  /** Bumped on every invalidation, so a verification that raced a revoke is not cached afterwards. */
  private generation = 0;
  /** The key the guard identified for the request being authenticated, so Passport's verification does not hash it again. */
  private readonly identified = new AsyncLocalStorage<PresentedApiKey>();
  /** Verifications in progress, by cache name (single flight); dropped on any invalidation. */
  private readonly inflight = new Map<string, Promise<Principal>>();

  constructor(
    private readonly repo: ApiKeyRepository,
    private readonly sealer: SigningSecretSealer,
    private readonly bus: KeyInvalidationBus,
    private readonly metrics: AuthMetrics,
    private readonly config: AuthConfig,
    private readonly now: () => number = Date.now,
  ) {
    this.cache = new VerificationCache(config.AUTH_VERIFY_CACHE_TTL_MS, config.AUTH_VERIFY_CACHE_MAX_ENTRIES, now);
    this.hashKey = config.AUTH_CACHE_HASH_KEY || randomBytes(32).toString('base64url');
  }

  onModuleInit(): void {
    this.bus.onChange((keyId) => this.forget(keyId));
  }

  /** Drops everything this process remembers about a key. */
  forget(keyId: string): void {
    this.generation++;
    this.cache.invalidate(keyId);
    this.signing.delete(keyId);
    // A verification that started before the change must not be joined by later requests.
    this.inflight.clear();
  }

  /** Parses and hashes a presented key; undefined when it is not in our format (no hashing for garbage). */
  identify(value: string): PresentedApiKey | undefined {
    const parsed = parseApiKey(value);
    return parsed && { value, ...parsed, cacheName: cacheKeyOf(this.hashKey, value) };
  }

  /**
   * True when exactly this presented key, or (HMAC) this key id's signing
   * secrets, were verified by this process within the cache TTL. Such a
   * request is not subject to the brute-force address counter: it costs no
   * bcrypt, and refusing it would let strangers behind the same address lock
   * a working client out. Never counts as a verification by itself.
   */
  recentlyVerified(credential: { apiKey?: PresentedApiKey; hmacKeyId?: string }): boolean {
    if (credential.apiKey !== undefined) return this.cache.get(credential.apiKey.cacheName) !== undefined;
    if (credential.hmacKeyId !== undefined) return (this.signing.get(credential.hmacKeyId)?.expiresAt ?? 0) > this.now();
    return false;
  }

  /** Runs `authenticate` (Passport's strategy) with `presented` as the identified key of this request. */
  withIdentified<T>(presented: PresentedApiKey | undefined, authenticate: () => Promise<T>): Promise<T> {
    return presented ? this.identified.run(presented, authenticate) : authenticate();
  }

  /** Verifies an `X-API-Key` value. Throws VerificationFailed (with a reason for the metric). */
  async verifyApiKey(presented: string | PresentedApiKey): Promise<Principal> {
    const key = typeof presented !== 'string' ? presented : this.alreadyIdentified(presented) ?? this.identify(presented);
    if (!key) throw new VerificationFailed('malformed');
    const cached = this.cache.get(key.cacheName);
    this.metrics.cacheLookup(cached !== undefined);
    if (cached) {
      if (this.cache.dueForRefresh(key.cacheName)) {
        this.verifyOnce(key, this.cache.verifiedHash(key.cacheName)).catch((err: unknown) => {
          // A key that no longer verifies is forgotten; an outage keeps the entry until it expires.
          if (err instanceof VerificationFailed) this.cache.delete(key.cacheName);
        });
      }
      return cached;
    }
    return this.verifyOnce(key);
  }

  /**
   * One verification per presented key at a time (single flight): when a busy key's cache entry is
   * missing, its concurrent requests share one database read and one bcrypt instead of each running
   * their own (50 requests in flight would otherwise queue 50 bcrypt runs on libuv's 4 threads, and
   * stall the key for seconds: the p99 of issue 15's benchmark).
   */
  private verifyOnce(key: PresentedApiKey, verifiedHash?: string): Promise<Principal> {
    let pending = this.inflight.get(key.cacheName);
    if (!pending) {
      pending = this.verifyUncached(key, verifiedHash).finally(() => this.inflight.delete(key.cacheName));
      this.inflight.set(key.cacheName, pending);
    }
    return pending;
  }

  /**
   * Reads the key's record and checks the presented secret against it. `verifiedHash` (a renewal) is the stored hash
   * this very secret matched when its cache entry was made (the entry is named by a keyed hash of the whole presented
   * key, secret included): while the record still holds that hash, bcrypt would answer yes again, so it is not run.
   * A renewal thus costs one read by _id instead of a bcrypt run (≈ 250 ms of a core at cost 12) per busy key and TTL:
   * on issue 15's 2-core machine each background bcrypt had been a burst of slow requests. Anything else about the key
   * (status, expiry, role, allowlist, limits, a rotation: a new hash) is read afresh as before.
   */
  private async verifyUncached(key: PresentedApiKey, verifiedHash?: string): Promise<Principal> {
    const generation = this.generation;
    const record = await this.repo.findById(key.keyId);
    const now = this.now();
    this.assertUsable(record, now);
    let notAfter = record.expires_at ? record.expires_at.getTime() : undefined;
    const matches = (hash: string) => (verifiedHash !== undefined && hash === verifiedHash) || bcrypt.compare(key.secret, hash);
    let matched = record.secret_hash;
    if (!(await matches(record.secret_hash))) {
      const graceEnd = record.previous_valid_until?.getTime() ?? 0;
      const previousOk = !!record.previous_secret_hash && graceEnd > now && (await matches(record.previous_secret_hash));
      if (!previousOk) throw new VerificationFailed('wrong-secret');
      matched = record.previous_secret_hash!;
      notAfter = Math.min(notAfter ?? graceEnd, graceEnd);
    }
    const principal = principalOf(record, 'api-key');
    if (generation === this.generation) this.cache.set(key.cacheName, principal, matched, notAfter);
    return principal;
  }

  /**
   * The signing secrets of a usable key, for the HMAC verifier: the current one,
   * and the previous one while its grace period lasts.
   */
  async signingSecretsFor(keyId: string): Promise<{ principal: Principal; secrets: string[] }> {
    const now = this.now();
    let entry = this.signing.get(keyId);
    if (!entry || entry.expiresAt <= now) {
      const generation = this.generation;
      const record = await this.repo.findById(keyId);
      this.assertUsable(record, now);
      entry = { record, secrets: await this.sealer.open(record), expiresAt: now + this.config.AUTH_VERIFY_CACHE_TTL_MS };
      if (this.config.AUTH_VERIFY_CACHE_TTL_MS > 0 && generation === this.generation) this.signing.set(keyId, entry);
    }
    this.assertUsable(entry.record, now);
    const secrets = [entry.secrets.current];
    const graceEnd = entry.record.previous_valid_until?.getTime() ?? 0;
    if (entry.secrets.previous && graceEnd > now) secrets.push(entry.secrets.previous);
    return { principal: principalOf(entry.record, 'hmac'), secrets };
  }

  /** The guard's identification of this very value, when verification runs inside withIdentified. */
  private alreadyIdentified(value: string): PresentedApiKey | undefined {
    const key = this.identified.getStore();
    return key?.value === value ? key : undefined;
  }

  private assertUsable(record: ApiKeyRecord | null, now: number): asserts record is ApiKeyRecord {
    if (!record) throw new VerificationFailed('unknown-key');
    if (record.status !== 'active') throw new VerificationFailed('revoked');
    if (record.expires_at && record.expires_at.getTime() <= now) throw new VerificationFailed('expired');
  }
}
