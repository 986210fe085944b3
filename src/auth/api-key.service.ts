import { randomBytes } from 'node:crypto';
import { Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import bcrypt from 'bcrypt';
import { SecurityEvents } from '../security-events/security-events.service';
import { NotFoundProblem, ValidationProblem } from '../common/problem/problem.exception';
import { EnvelopeService } from '../kms/envelope.service';
import { ApiKeyAdmin, openSigning, type SigningSecrets } from './api-key.admin';
import { cacheKeyOf, parseApiKey } from './api-key.format';
import { type ApiKeyFilter, ApiKeyRepository } from './api-key.repository';
import type { ApiKeyRecord } from './api-key.schema';
import { type ApiKeySettings, type ApiKeyView, type IssuedApiKey, type NewApiKey, toView } from './api-key.view';
import { AuthConfig } from './auth.config';
import { VerificationFailed } from './auth.errors';
import { AuthMetrics } from './auth.metrics';
import { KeyInvalidationBus } from './key-invalidation.bus';
import { DEFAULT_INVALIDATION_RETRY, type InvalidationRetryOptions, KeyInvalidationOutbox } from './key-invalidation.outbox';
import type { Principal } from './principal';
import { VerificationCache } from './verification.cache';

export { toView, type ApiKeySettings, type ApiKeyView, type IssuedApiKey, type NewApiKey } from './api-key.view';

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
 * The rules of API keys: issuing, rotating with a grace period, revoking
 * everywhere (administration lives in ApiKeyAdmin), and verifying presented
 * keys without running bcrypt per request.
 */
@Injectable()
export class ApiKeyService implements OnModuleInit, OnApplicationShutdown {
  readonly cache: VerificationCache;
  private readonly signing = new Map<string, SigningEntry>();
  private readonly hashKey: Buffer;
  /** Bumped on every invalidation, so a verification that raced a revoke is not cached afterwards. */
  private generation = 0;
  /** Announcements to the other replicas that Redis has not taken yet (retried in the background). */
  readonly invalidations: KeyInvalidationOutbox;
  private readonly admin: ApiKeyAdmin;

  constructor(
    private readonly repo: ApiKeyRepository,
    private readonly envelopes: EnvelopeService,
    private readonly bus: KeyInvalidationBus,
    audit: SecurityEvents,
    private readonly metrics: AuthMetrics,
    private readonly config: AuthConfig,
    private readonly now: () => number = Date.now,
    invalidationRetry: InvalidationRetryOptions = DEFAULT_INVALIDATION_RETRY,
  ) {
    this.cache = new VerificationCache(config.AUTH_VERIFY_CACHE_TTL_MS, config.AUTH_VERIFY_CACHE_MAX_ENTRIES, now);
    this.hashKey = config.AUTH_CACHE_HASH_KEY ? Buffer.from(config.AUTH_CACHE_HASH_KEY) : randomBytes(32);
    this.invalidations = new KeyInvalidationOutbox((keyId) => this.bus.publish(keyId), invalidationRetry);
    this.admin = new ApiKeyAdmin(repo, envelopes, audit, config, now, {
      forget: (keyId) => this.forget(keyId),
      announce: (keyId) => this.invalidations.announce(keyId),
    });
  }

  onModuleInit(): void {
    this.bus.onChange((keyId) => this.forget(keyId));
  }

  onApplicationShutdown(): void {
    this.invalidations.close();
  }

  /** Drops everything this process remembers about a key. */
  forget(keyId: string): void {
    this.generation++;
    this.cache.invalidate(keyId);
    this.signing.delete(keyId);
  }

  // ---- administration (ApiKeyAdmin: write, forget locally, audit, then announce) ----

  create(input: NewApiKey, actor: string): Promise<IssuedApiKey> {
    return this.admin.create(input, actor);
  }

  update(keyId: string, settings: ApiKeySettings, actor: string): Promise<ApiKeyView> {
    return this.admin.update(keyId, settings, actor);
  }

  /** New secrets, returned once; 409 during an earlier rotation's grace period or when a concurrent rotation won. */
  rotate(keyId: string, actor: string, graceSeconds?: number): Promise<IssuedApiKey> {
    return this.admin.rotate(keyId, actor, graceSeconds);
  }

  /** Immediate here; everywhere once announced (retried until Redis takes it), at worst after the cache TTL. */
  revoke(keyId: string, actor: string): Promise<ApiKeyView> {
    return this.admin.revoke(keyId, actor);
  }

  async get(keyId: string): Promise<ApiKeyView> {
    const record = await this.repo.findById(keyId);
    if (!record) throw new NotFoundProblem();
    return toView(record);
  }

  async list(filter: ApiKeyFilter, limit: number, cursor?: string): Promise<{ items: ApiKeyView[]; next_cursor: string | null }> {
    const after = cursor ? decodeCursor(cursor) : undefined;
    const records = await this.repo.list(filter, limit + 1, after);
    const page = records.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map(toView),
      next_cursor: records.length > limit && last ? encodeCursor(last.created_at, last.key_id) : null,
    };
  }

  async countActiveAdmins(): Promise<number> {
    return this.repo.countAdmins();
  }

  // ---- verification ----

  /**
   * True when exactly this presented key, or (HMAC) this key id's signing
   * secrets, were verified by this process within the cache TTL. Such a
   * request is not subject to the brute-force address counter: it costs no
   * bcrypt, and refusing it would let strangers behind the same address lock
   * a working client out. Never counts as a verification by itself.
   */
  recentlyVerified(credential: { apiKey?: string; hmacKeyId?: string }): boolean {
    if (credential.apiKey !== undefined) return parseApiKey(credential.apiKey) !== undefined && this.cache.get(cacheKeyOf(this.hashKey, credential.apiKey)) !== undefined;
    if (credential.hmacKeyId !== undefined) return (this.signing.get(credential.hmacKeyId)?.expiresAt ?? 0) > this.now();
    return false;
  }

  /** Verifies an `X-API-Key` value. Throws VerificationFailed (with a reason for the metric). */
  async verifyApiKey(presented: string): Promise<Principal> {
    const parsed = parseApiKey(presented);
    if (!parsed) throw new VerificationFailed('malformed');
    const name = cacheKeyOf(this.hashKey, presented);
    const cached = this.cache.get(name);
    this.metrics.cacheLookup(cached !== undefined);
    if (cached) return cached;
    const generation = this.generation;
    const record = await this.repo.findById(parsed.keyId);
    const now = this.now();
    this.assertUsable(record, now);
    let notAfter = record.expires_at ? record.expires_at.getTime() : undefined;
    if (!(await bcrypt.compare(parsed.secret, record.secret_hash))) {
      const graceEnd = record.previous_valid_until?.getTime() ?? 0;
      const previousOk =
        !!record.previous_secret_hash && graceEnd > now && (await bcrypt.compare(parsed.secret, record.previous_secret_hash));
      if (!previousOk) throw new VerificationFailed('wrong-secret');
      notAfter = Math.min(notAfter ?? graceEnd, graceEnd);
    }
    const principal = principalOf(record, 'api-key');
    if (generation === this.generation) this.cache.set(name, principal, notAfter);
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
      entry = { record, secrets: await openSigning(this.envelopes, record), expiresAt: now + this.config.AUTH_VERIFY_CACHE_TTL_MS };
      if (this.config.AUTH_VERIFY_CACHE_TTL_MS > 0 && generation === this.generation) this.signing.set(keyId, entry);
    }
    this.assertUsable(entry.record, now);
    const secrets = [entry.secrets.current];
    const graceEnd = entry.record.previous_valid_until?.getTime() ?? 0;
    if (entry.secrets.previous && graceEnd > now) secrets.push(entry.secrets.previous);
    return { principal: principalOf(entry.record, 'hmac'), secrets };
  }

  private assertUsable(record: ApiKeyRecord | null, now: number): asserts record is ApiKeyRecord {
    if (!record) throw new VerificationFailed('unknown-key');
    if (record.status !== 'active') throw new VerificationFailed('revoked');
    if (record.expires_at && record.expires_at.getTime() <= now) throw new VerificationFailed('expired');
  }
}

function encodeCursor(createdAt: Date, keyId: string): string {
  return Buffer.from(JSON.stringify([createdAt.toISOString(), keyId])).toString('base64url');
}

function decodeCursor(cursor: string): { created_at: Date; key_id: string } {
  try {
    const [c, k] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    const created = new Date(c);
    if (Number.isNaN(created.getTime()) || typeof k !== 'string') throw new Error('bad cursor');
    return { created_at: created, key_id: k };
  } catch {
    throw new ValidationProblem(['cursor: is not a cursor this API returned']);
  }
}
