import bcrypt from 'bcrypt';
import { NotFoundProblem, ProblemException, ValidationProblem } from '../common/problem/problem.exception';
import { ApiKeyChanges } from './api-key.changes';
import { formatApiKey, newKeyId, newSecret, SIGNING_SECRET_PREFIX } from './api-key.format';
import { ApiKeyRepository } from './api-key.repository';
import type { ApiKeyRecord } from './api-key.schema';
import { type IssuedApiKey, type NewApiKey, toView } from './api-key.view';
import { AuthConfig } from './auth.config';
import { cidrList } from '../common/http/client-address';
import { SigningSecretSealer } from './signing-secret.sealer';

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

/** 400 for an allowlist entry that is not an address or CIDR range (also used by ApiKeyAdmin's update). */
export function assertCidrs(entries: string[]): void {
  try {
    cidrList(entries);
  } catch (err) {
    throw new ValidationProblem([`ip_allowlist: ${(err as Error).message}`]);
  }
}

/**
 * Issues secrets: new keys, and new secrets for an existing key (rotation with
 * a grace period for the previous ones). Secrets are returned once, stored as
 * a bcrypt hash (API key) and sealed (signing secret).
 */
export class ApiKeyIssuer {
  constructor(
    private readonly repo: ApiKeyRepository,
    private readonly sealer: SigningSecretSealer,
    private readonly changes: ApiKeyChanges,
    private readonly config: AuthConfig,
    private readonly now: () => number = Date.now,
  ) {}

  /** A new active key; `api_key` and `signing_secret` appear only in this answer. */
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
      signing: await this.sealer.seal(keyId, { current: signingSecret }),
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
    await this.changes.created({ action: 'auth.key.created', actor, target: keyId, details: { client_id: input.client_id, role: input.role } });
    return { ...toView(record), api_key: formatApiKey(keyId, secret), signing_secret: signingSecret };
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
    const old = await this.sealer.open(existing);
    const secret = newSecret();
    const signingSecret = SIGNING_SECRET_PREFIX + newSecret();
    const set: Partial<ApiKeyRecord> = {
      secret_hash: await bcrypt.hash(secret, this.config.AUTH_BCRYPT_COST),
      signing: await this.sealer.seal(keyId, { current: signingSecret, previous: old.current }),
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
    await this.changes.committed(keyId, { action: 'auth.key.rotated', actor, target: keyId, details: { grace_seconds: graceSeconds } });
    return { ...toView(record), api_key: formatApiKey(keyId, secret), signing_secret: signingSecret };
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
