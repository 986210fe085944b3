import bcrypt from 'bcrypt';
import type { SecurityEvents } from '../security-events/security-events.service';
import { NotFoundProblem, ProblemException, ValidationProblem } from '../common/problem/problem.exception';
import type { EnvelopeService } from '../kms/envelope.service';
import { formatApiKey, newKeyId, newSecret, SIGNING_SECRET_PREFIX } from './api-key.format';
import type { ApiKeyRepository } from './api-key.repository';
import type { ApiKeyRecord } from './api-key.schema';
import { type ApiKeySettings, type ApiKeyView, type IssuedApiKey, type NewApiKey, toView } from './api-key.view';
import type { AuthConfig } from './auth.config';
import { cidrList } from './client-ip';

/** A key's signing secrets in clear: the current one and, during a grace period, the previous one. */
export interface SigningSecrets {
  current: string;
  previous?: string;
}

const CONTEXT_COLLECTION = 'api_keys';

/** Seals signing secrets under the app-credentials key, bound to the key's record. */
export async function sealSigning(envelopes: EnvelopeService, keyId: string, secrets: SigningSecrets): Promise<ApiKeyRecord['signing']> {
  const fields: Record<string, string> = { current: secrets.current };
  if (secrets.previous) fields.previous = secrets.previous;
  return envelopes.encrypt('app-credentials', { collection: CONTEXT_COLLECTION, recordId: keyId }, fields);
}

export async function openSigning(envelopes: EnvelopeService, record: ApiKeyRecord): Promise<SigningSecrets> {
  const fields = await envelopes.decrypt({ collection: CONTEXT_COLLECTION, recordId: record.key_id }, record.signing);
  return { current: fields.current, previous: fields.previous };
}

/**
 * 409: the rotation was not made. Either the previous secret's grace period is
 * still running (a second rotation would cut off clients still using it), or
 * another rotation of the same key won a race; no secret was issued.
 */
export class KeyRotationConflictProblem extends ProblemException {
  constructor(reason: 'grace-period-running' | 'concurrent-rotation', previousValidUntil?: Date) {
    super(
      'key-rotation-conflict',
      'Conflict',
      409,
      reason === 'grace-period-running'
        ? 'The previous secret of this key is still in its grace period; rotate again after previous_secret_valid_until.'
        : 'Another rotation of this key was made at the same time; read the key and rotate again if still needed.',
      { reason, ...(previousValidUntil ? { previous_secret_valid_until: previousValidUntil.toISOString() } : {}) },
    );
  }
}

/**
 * How long a rotation claim blocks other rotations of the key when its own
 * rotation never wrote (the process died between claim and write). A rotation
 * takes one MongoDB write between the two, so this is only ever reached after
 * a crash.
 */
export const ROTATION_CLAIM_LEASE_MS = 60_000;
const MAX_CLAIM_ATTEMPTS = 5;

/** What the admin operations tell the rest of the auth module after a committed change. */
export interface KeyChangeSink {
  /** This process drops what it remembers about the key, at once. */
  forget(keyId: string): void;
  /** Other replicas are told, in the background, until delivered; never throws. */
  announce(keyId: string): void;
}

/**
 * Administration of API keys (issuing, settings, rotation, revocation), kept
 * apart from verification. Every change follows one order: the MongoDB write,
 * then this process forgets the key, then the audit event, then the
 * announcement to the other replicas (retried in the background). So an admin
 * never gets an error for a change that happened unless its audit record could
 * not be written, and a Redis outage neither fails the change nor loses the
 * announcement.
 */
export class ApiKeyAdmin {
  constructor(
    private readonly repo: ApiKeyRepository,
    private readonly envelopes: EnvelopeService,
    private readonly audit: SecurityEvents,
    private readonly config: AuthConfig,
    private readonly now: () => number,
    private readonly changes: KeyChangeSink,
  ) {}

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
      signing: await sealSigning(this.envelopes, keyId, { current: signingSecret }),
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
      secret_version: 0,
    };
    await this.repo.insert(record);
    // A new key id was never cached anywhere: nothing to announce.
    await this.audit.record({ action: 'auth.key.created', actor, target: keyId, details: { client_id: input.client_id, role: input.role } });
    return { ...toView(record), api_key: formatApiKey(keyId, secret), signing_secret: signingSecret };
  }

  async update(keyId: string, settings: ApiKeySettings, actor: string): Promise<ApiKeyView> {
    if (settings.ip_allowlist) assertCidrs(settings.ip_allowlist);
    const set = Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined)) as Partial<ApiKeyRecord>;
    const record = await this.repo.update(keyId, { ...set, updated_at: new Date(this.now()) });
    if (!record) throw new NotFoundProblem();
    await this.committed(keyId, { action: 'auth.key.updated', actor, target: keyId, details: { fields: Object.keys(set) } });
    return toView(record);
  }

  /**
   * New secrets, returned once; the previous ones keep working for the grace
   * period. Refused (409) while an earlier rotation's grace period runs, and
   * for all but one of several concurrent rotations: a claim per secret
   * version picks the winner, and the write itself is a compare-and-set on
   * the version read. A loser never sees a secret.
   */
  async rotate(keyId: string, actor: string, graceSeconds = this.config.AUTH_ROTATION_GRACE_SECONDS): Promise<IssuedApiKey> {
    const existing = await this.repo.findById(keyId);
    if (!existing || existing.status !== 'active') throw new NotFoundProblem();
    const at = new Date(this.now());
    const graceEnd = existing.previous_secret_hash ? existing.previous_valid_until : null;
    if (graceEnd && graceEnd.getTime() > at.getTime()) throw new KeyRotationConflictProblem('grace-period-running', graceEnd);
    const old = await openSigning(this.envelopes, existing);
    const secret = newSecret();
    const signingSecret = SIGNING_SECRET_PREFIX + newSecret();
    const set: Partial<ApiKeyRecord> = {
      secret_hash: await bcrypt.hash(secret, this.config.AUTH_BCRYPT_COST),
      signing: await sealSigning(this.envelopes, keyId, { current: signingSecret, previous: old.current }),
      previous_secret_hash: existing.secret_hash,
      previous_valid_until: new Date(at.getTime() + graceSeconds * 1000),
      rotated_at: at,
      updated_at: at,
    };
    if (!(await this.claimRotation(keyId, (existing.secret_version ?? 0) + 1, actor, at))) {
      throw new KeyRotationConflictProblem('concurrent-rotation');
    }
    const record = await this.repo.replaceSecrets(keyId, existing.secret_version, set);
    if (!record) {
      const current = await this.repo.findById(keyId);
      if (!current || current.status !== 'active') throw new NotFoundProblem();
      throw new KeyRotationConflictProblem('concurrent-rotation');
    }
    await this.committed(keyId, { action: 'auth.key.rotated', actor, target: keyId, details: { grace_seconds: graceSeconds } });
    return { ...toView(record), api_key: formatApiKey(keyId, secret), signing_secret: signingSecret };
  }

  /** Immediate: this process refuses the key from the write on, the others once told (or within their cache TTL). */
  async revoke(keyId: string, actor: string): Promise<ApiKeyView> {
    const at = new Date(this.now());
    const record = await this.repo.update(keyId, { status: 'revoked', revoked_at: at, updated_at: at });
    if (!record) throw new NotFoundProblem();
    await this.committed(keyId, { action: 'auth.key.revoked', actor, target: keyId, details: {} });
    return toView(record);
  }

  /**
   * After a committed change. The announcement is queued even when the audit
   * write fails: the change is in effect, so other replicas must learn it.
   */
  private async committed(keyId: string, event: Parameters<SecurityEvents['record']>[0]): Promise<void> {
    this.changes.forget(keyId);
    try {
      await this.audit.record(event);
    } finally {
      this.changes.announce(keyId);
    }
  }

  /**
   * One rotation per secret version: the first to insert the claim proceeds.
   * A claim older than the lease whose rotation never wrote no longer blocks:
   * the next attempt number is claimed instead.
   */
  private async claimRotation(keyId: string, version: number, actor: string, at: Date): Promise<boolean> {
    for (let attempt = 0; attempt < MAX_CLAIM_ATTEMPTS; attempt++) {
      const id = `${keyId}:${version}:${attempt}`;
      if (await this.repo.insertRotationClaim({ _id: id, key_id: keyId, secret_version: version, actor, claimed_at: at })) return true;
      const held = await this.repo.findRotationClaim(id);
      if (held && at.getTime() - new Date(held.claimed_at).getTime() < ROTATION_CLAIM_LEASE_MS) return false;
    }
    return false;
  }
}

function assertCidrs(entries: string[]): void {
  try {
    cidrList(entries);
  } catch (err) {
    throw new ValidationProblem([`ip_allowlist: ${(err as Error).message}`]);
  }
}
