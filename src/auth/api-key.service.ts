import { randomBytes } from 'node:crypto';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import bcrypt from 'bcrypt';
import { AuditTrail } from '../audit/audit.trail';
import { NotFoundProblem, ValidationProblem } from '../common/problem/problem.exception';
import { EnvelopeService } from '../kms/envelope.service';
import { cacheKeyOf, formatApiKey, newKeyId, newSecret, parseApiKey, SIGNING_SECRET_PREFIX } from './api-key.format';
import { type ApiKeyFilter, ApiKeyRepository } from './api-key.repository';
import type { ApiKeyRecord, ApiKeyRole } from './api-key.schema';
import { AuthConfig } from './auth.config';
import { VerificationFailed } from './auth.errors';
import { AuthMetrics } from './auth.metrics';
import { cidrList } from './client-ip';
import { KeyInvalidationBus } from './key-invalidation.bus';
import type { Principal } from './principal';
import { VerificationCache } from './verification.cache';

/** What an admin may set on a key. */
export interface ApiKeySettings {
  name?: string;
  expires_at?: Date | null;
  rate_limit_override?: number | null;
  ip_allowlist?: string[];
  queue_weight?: number;
}

export interface NewApiKey extends ApiKeySettings {
  client_id: string;
  role: ApiKeyRole;
  name: string;
}

/** A key as the admin API shows it: never a secret or a hash. */
export interface ApiKeyView {
  key_id: string;
  client_id: string;
  role: ApiKeyRole;
  name: string;
  status: string;
  expires_at: Date | null;
  rate_limit_override: number | null;
  ip_allowlist: string[];
  queue_weight: number;
  created_at: Date;
  updated_at: Date;
  rotated_at: Date | null;
  revoked_at: Date | null;
  previous_secret_valid_until: Date | null;
}

/** Returned once, at creation or rotation. */
export interface IssuedApiKey extends ApiKeyView {
  /** `fgw_<id>_<secret>` for the X-API-Key header. */
  api_key: string;
  /** Secret for HMAC request signing. */
  signing_secret: string;
}

interface SigningSecrets {
  current: string;
  previous?: string;
}

interface SigningEntry {
  record: ApiKeyRecord;
  secrets: SigningSecrets;
  expiresAt: number;
}

const CONTEXT_COLLECTION = 'api_keys';

export function toView(r: ApiKeyRecord): ApiKeyView {
  return {
    key_id: r.key_id,
    client_id: r.client_id,
    role: r.role,
    name: r.name,
    status: r.status,
    expires_at: r.expires_at ?? null,
    rate_limit_override: r.rate_limit_override ?? null,
    ip_allowlist: r.ip_allowlist ?? [],
    queue_weight: r.queue_weight ?? 1,
    created_at: r.created_at,
    updated_at: r.updated_at,
    rotated_at: r.rotated_at ?? null,
    revoked_at: r.revoked_at ?? null,
    previous_secret_valid_until: r.previous_secret_hash ? (r.previous_valid_until ?? null) : null,
  };
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
 * everywhere, and verifying presented keys without running bcrypt per request.
 */
@Injectable()
export class ApiKeyService implements OnModuleInit {
  readonly cache: VerificationCache;
  private readonly signing = new Map<string, SigningEntry>();
  private readonly hashKey: Buffer;
  /** Bumped on every invalidation, so a verification that raced a revoke is not cached afterwards. */
  private generation = 0;

  constructor(
    private readonly repo: ApiKeyRepository,
    private readonly envelopes: EnvelopeService,
    private readonly bus: KeyInvalidationBus,
    private readonly audit: AuditTrail,
    private readonly metrics: AuthMetrics,
    private readonly config: AuthConfig,
    private readonly now: () => number = Date.now,
  ) {
    this.cache = new VerificationCache(config.AUTH_VERIFY_CACHE_TTL_MS, config.AUTH_VERIFY_CACHE_MAX_ENTRIES, now);
    this.hashKey = config.AUTH_CACHE_HASH_KEY ? Buffer.from(config.AUTH_CACHE_HASH_KEY) : randomBytes(32);
  }

  onModuleInit(): void {
    this.bus.onChange((keyId) => this.forget(keyId));
  }

  /** Drops everything this process remembers about a key. */
  forget(keyId: string): void {
    this.generation++;
    this.cache.invalidate(keyId);
    this.signing.delete(keyId);
  }

  // ---- administration ----

  async create(input: NewApiKey, actor: string): Promise<IssuedApiKey> {
    if (input.ip_allowlist) assertCidrs(input.ip_allowlist);
    const keyId = newKeyId();
    const secret = newSecret();
    const signingSecret = SIGNING_SECRET_PREFIX + newSecret();
    const at = new Date(this.now());
    const record: ApiKeyRecord = {
      key_id: keyId,
      client_id: input.client_id,
      role: input.role,
      name: input.name,
      status: 'active',
      secret_hash: await bcrypt.hash(secret, this.config.AUTH_BCRYPT_COST),
      signing: await this.sealSigning(keyId, { current: signingSecret }),
      previous_secret_hash: null,
      previous_valid_until: null,
      expires_at: input.expires_at ?? null,
      rate_limit_override: input.rate_limit_override ?? null,
      ip_allowlist: input.ip_allowlist ?? [],
      queue_weight: input.queue_weight ?? 1,
      created_at: at,
      updated_at: at,
      rotated_at: null,
      revoked_at: null,
    };
    await this.repo.insert(record);
    await this.audit.record({ action: 'auth.key.created', actor, target: keyId, details: { client_id: input.client_id, role: input.role } });
    return { ...toView(record), api_key: formatApiKey(keyId, secret), signing_secret: signingSecret };
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

  async update(keyId: string, settings: ApiKeySettings, actor: string): Promise<ApiKeyView> {
    if (settings.ip_allowlist) assertCidrs(settings.ip_allowlist);
    const set = Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined)) as Partial<ApiKeyRecord>;
    const record = await this.repo.update(keyId, { ...set, updated_at: new Date(this.now()) });
    if (!record) throw new NotFoundProblem();
    await this.bus.publish(keyId);
    await this.audit.record({ action: 'auth.key.updated', actor, target: keyId, details: { fields: Object.keys(set) } });
    return toView(record);
  }

  /** New secrets, returned once; the previous ones keep working for the grace period. */
  async rotate(keyId: string, actor: string, graceSeconds = this.config.AUTH_ROTATION_GRACE_SECONDS): Promise<IssuedApiKey> {
    const existing = await this.repo.findById(keyId);
    if (!existing || existing.status !== 'active') throw new NotFoundProblem();
    const old = await this.openSigning(existing);
    const secret = newSecret();
    const signingSecret = SIGNING_SECRET_PREFIX + newSecret();
    const at = new Date(this.now());
    const record = await this.repo.update(keyId, {
      secret_hash: await bcrypt.hash(secret, this.config.AUTH_BCRYPT_COST),
      signing: await this.sealSigning(keyId, { current: signingSecret, previous: old.current }),
      previous_secret_hash: existing.secret_hash,
      previous_valid_until: new Date(at.getTime() + graceSeconds * 1000),
      rotated_at: at,
      updated_at: at,
    });
    if (!record) throw new NotFoundProblem();
    await this.bus.publish(keyId);
    await this.audit.record({ action: 'auth.key.rotated', actor, target: keyId, details: { grace_seconds: graceSeconds } });
    return { ...toView(record), api_key: formatApiKey(keyId, secret), signing_secret: signingSecret };
  }

  /** Immediate and everywhere: the record changes, then every replica is told to forget the key. */
  async revoke(keyId: string, actor: string): Promise<ApiKeyView> {
    const at = new Date(this.now());
    const record = await this.repo.update(keyId, { status: 'revoked', revoked_at: at, updated_at: at });
    if (!record) throw new NotFoundProblem();
    await this.bus.publish(keyId);
    await this.audit.record({ action: 'auth.key.revoked', actor, target: keyId, details: {} });
    return toView(record);
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
      entry = { record, secrets: await this.openSigning(record), expiresAt: now + this.config.AUTH_VERIFY_CACHE_TTL_MS };
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

  private async sealSigning(keyId: string, secrets: SigningSecrets): Promise<ApiKeyRecord['signing']> {
    const fields: Record<string, string> = { current: secrets.current };
    if (secrets.previous) fields.previous = secrets.previous;
    return this.envelopes.encrypt('app-credentials', { collection: CONTEXT_COLLECTION, recordId: keyId }, fields);
  }

  private async openSigning(record: ApiKeyRecord): Promise<SigningSecrets> {
    const fields = await this.envelopes.decrypt({ collection: CONTEXT_COLLECTION, recordId: record.key_id }, record.signing);
    return { current: fields.current, previous: fields.previous };
  }
}

function assertCidrs(entries: string[]): void {
  try {
    cidrList(entries);
  } catch (err) {
    throw new ValidationProblem([`ip_allowlist: ${(err as Error).message}`]);
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
