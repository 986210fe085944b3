import type { ApiKeyRepository } from '../../src/auth/api-key.repository';
import type { ApiKeyRecord } from '../../src/auth/api-key.schema';
import { ApiKeyAdmin } from '../../src/auth/api-key.admin';
import { ApiKeyChanges } from '../../src/auth/api-key.changes';
import { ApiKeyIssuer, KeyRotationConflictProblem } from '../../src/auth/api-key.issuer';
import { ApiKeyVerifier } from '../../src/auth/api-key.verifier';
import { SigningSecretSealer } from '../../src/auth/signing-secret.sealer';
import { AuthConfig } from '../../src/auth/auth.config';
import { VerificationFailed } from '../../src/auth/auth.errors';
import type { InvalidationRetryOptions } from '../../src/auth/key-invalidation.outbox';

/** Small delays so retries happen within the test; the outbox's logic is the same as with the defaults. */
const FAST_RETRY: InvalidationRetryOptions = { attemptTimeoutMs: 100, initialDelayMs: 5, maxDelayMs: 20, settleMs: 30 };

type Step = string;

/**
 * The API-key services assembled as in AuthModule, with their adapters replaced (repository, KMS, Redis bus, audit, metrics); every adapter call
 * goes into one ordered log, so the order of audit and announcement can be checked.
 */
function setup(publishBehaviour: (attempt: number) => Promise<void>, options: { now?: () => number } = {}) {
  const log: Step[] = [];
  const state = { auditFails: false };
  const rows = new Map<string, ApiKeyRecord>();
  const repo = {
    insert: async (r: ApiKeyRecord) => void rows.set(r.key_id, { ...r }),
    findById: async (id: string) => (rows.get(id) ? { ...rows.get(id)! } : null),
    update: async (id: string, set: Partial<ApiKeyRecord>) => {
      const r = rows.get(id);
      if (!r) return null;
      Object.assign(r, set);
      log.push(`mongo:update:${Object.keys(set).includes('status') ? 'revoke' : 'settings'}`);
      return { ...r };
    },
    replaceSecrets: async (id: string, readVersion: number | undefined, set: Partial<ApiKeyRecord>) => {
      const r = rows.get(id);
      if (!r || r.status !== 'active' || r.secret_version !== readVersion) return null;
      Object.assign(r, set, { secret_version: (readVersion ?? 0) + 1 });
      log.push('mongo:update:rotate');
      return { ...r };
    },
    insertRotationClaim: async () => true,
    findRotationClaim: async () => null,
  } as unknown as ApiKeyRepository;
  const envelopes = {
    encrypt: async (_p: string, _c: unknown, fields: Record<string, string>) => ({ fields }),
    decrypt: async (_c: unknown, env: { fields: Record<string, string> }) => env.fields,
  };
  const listeners: Array<(id: string) => void> = [];
  let attempts = 0;
  const bus = {
    onChange: (l: (id: string) => void) => listeners.push(l),
    publish: async (id: string) => {
      const attempt = ++attempts;
      log.push(`publish:attempt:${attempt}`);
      await publishBehaviour(attempt);
      log.push(`publish:delivered:${attempt}`);
      listeners.forEach((l) => l(id));
    },
  };
  const audit = {
    record: async (e: { action: string }) => {
      // A MongoDB round trip: logged when the event is written, so an announcement started earlier shows first.
      await new Promise((r) => setTimeout(r, 5));
      log.push(`audit:${e.action}`);
      if (state.auditFails) throw new Error('audit store down');
    },
  };
  const metrics = { failed: () => undefined, cacheLookup: () => undefined };
  const config = Object.assign(new AuthConfig(), { AUTH_BCRYPT_COST: 4, AUTH_VERIFY_CACHE_TTL_MS: 600_000 });
  const now = options.now ?? Date.now;
  const sealer = new SigningSecretSealer(envelopes as any);
  const verifier = new ApiKeyVerifier(repo, sealer, bus as any, metrics as any, config, now);
  const changes = new ApiKeyChanges(verifier, bus as any, audit as any, FAST_RETRY);
  const issuer = new ApiKeyIssuer(repo, sealer, changes, config, now);
  const admin = new ApiKeyAdmin(repo, changes, now);
  verifier.onModuleInit();
  return { issuer, admin, verifier, changes, log, state, attempts: () => attempts };
}

const failing = (n: number) => async (attempt: number) => {
  if (attempt <= n) throw new Error('Connection is closed.');
};

async function until(probe: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error('condition not met');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const reason = (p: Promise<unknown>) => p.then(() => 'ok', (e) => (e instanceof VerificationFailed ? e.reason : String(e)));

describe('API key administration: audited, then announced until delivered (adapters replaced)', () => {
  it('revoke with the invalidation bus failing: audit written first, success answered, publish retried until delivered', async () => {
    const { issuer, admin, verifier, changes, log, attempts } = setup(failing(3));
    const key = await issuer.create({ client_id: 'c', name: 'n', role: 'client' }, 'test');
    expect(await reason(verifier.verifyApiKey(key.api_key))).toBe('ok');
    log.length = 0;

    const revoked = await admin.revoke(key.key_id, 'admin-key:x');
    expect(revoked.status).toBe('revoked');
    // Answered without any delivery yet: the announcement runs in the background.
    expect(log.filter((s) => s.startsWith('publish:delivered'))).toEqual([]);
    // This process refuses the key at once, without the bus.
    expect(await reason(verifier.verifyApiKey(key.api_key))).toBe('revoked');

    await until(() => changes.invalidations.undelivered().length === 0);
    expect(log.slice(0, 2)).toEqual(['mongo:update:revoke', 'audit:auth.key.revoked']);
    // Three failures, the fourth attempt delivered, then one more publish after the settle delay (an outage ended).
    expect(log.slice(2)).toEqual([
      'publish:attempt:1',
      'publish:attempt:2',
      'publish:attempt:3',
      'publish:attempt:4',
      'publish:delivered:4',
      'publish:attempt:5',
      'publish:delivered:5',
    ]);
    expect(attempts()).toBe(5);
  });

  it('a publish that never answers is bounded per attempt and retried', async () => {
    const { issuer, admin, verifier, changes, log } = setup(async (attempt) => {
      if (attempt <= 2) await new Promise(() => undefined);
    });
    const key = await issuer.create({ client_id: 'c', name: 'n', role: 'client' }, 'test');
    await admin.revoke(key.key_id, 'test');
    await until(() => changes.invalidations.undelivered().length === 0);
    expect(log.filter((s) => s.startsWith('publish:delivered'))).toEqual(['publish:delivered:3', 'publish:delivered:4']);
  });

  it('update and rotate also write the audit event before the first announcement; no retries when Redis answers', async () => {
    const { issuer, admin, verifier, changes, log, attempts } = setup(async () => undefined);
    const key = await issuer.create({ client_id: 'c', name: 'n', role: 'client' }, 'test');
    expect(log).toEqual(['audit:auth.key.created']);
    log.length = 0;
    await admin.update(key.key_id, { name: 'renamed' }, 'test');
    await until(() => changes.invalidations.undelivered().length === 0);
    await issuer.rotate(key.key_id, 'test', 0);
    await until(() => changes.invalidations.undelivered().length === 0);
    expect(log).toEqual([
      'mongo:update:settings',
      'audit:auth.key.updated',
      'publish:attempt:1',
      'publish:delivered:1',
      'mongo:update:rotate',
      'audit:auth.key.rotated',
      'publish:attempt:2',
      'publish:delivered:2',
    ]);
    expect(attempts()).toBe(2);
  });

  it('when the audit write fails the change is still announced (it is in effect), and the caller sees the error', async () => {
    const { issuer, admin, verifier, changes, log, state } = setup(async () => undefined);
    const key = await issuer.create({ client_id: 'c', name: 'n', role: 'client' }, 'test');
    log.length = 0;
    state.auditFails = true;
    await expect(admin.revoke(key.key_id, 'test')).rejects.toThrow('audit store down');
    await until(() => changes.invalidations.undelivered().length === 0);
    expect(log).toEqual(['mongo:update:revoke', 'audit:auth.key.revoked', 'publish:attempt:1', 'publish:delivered:1']);
    expect(await reason(verifier.verifyApiKey(key.api_key))).toBe('revoked');
  });

  it('stops retrying at shutdown and reports what was never delivered', async () => {
    const { issuer, admin, verifier, changes } = setup(failing(Number.POSITIVE_INFINITY));
    const key = await issuer.create({ client_id: 'c', name: 'n', role: 'client' }, 'test');
    await admin.revoke(key.key_id, 'test');
    await new Promise((r) => setTimeout(r, 30));
    expect(changes.invalidations.undelivered()).toEqual([key.key_id]);
    changes.onApplicationShutdown();
    expect(changes.invalidations.close()).toEqual([key.key_id]);
  });
});

describe('rotation within the grace period (adapters replaced)', () => {
  it('a second rotation during the first one\'s grace period is refused with 409 and issues nothing; after it, allowed', async () => {
    let now = 1_700_000_000_000;
    const { issuer, admin, verifier, changes } = setup(async () => undefined, { now: () => now });
    const key = await issuer.create({ client_id: 'c', name: 'n', role: 'client' }, 'test');
    const first = await issuer.rotate(key.key_id, 'test', 60);
    const refused = await issuer.rotate(key.key_id, 'test', 60).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(KeyRotationConflictProblem);
    expect((refused as KeyRotationConflictProblem).getStatus()).toBe(409);
    expect((refused as KeyRotationConflictProblem).extensions).toEqual({
      reason: 'grace-period-running',
      previous_secret_valid_until: new Date(now + 60_000).toISOString(),
    });
    // Both the original secret (in grace) and the first rotation's secret still work.
    expect(await reason(verifier.verifyApiKey(key.api_key))).toBe('ok');
    expect(await reason(verifier.verifyApiKey(first.api_key))).toBe('ok');
    expect((await verifier.signingSecretsFor(key.key_id)).secrets).toEqual([first.signing_secret, key.signing_secret]);

    now += 60_000;
    const second = await issuer.rotate(key.key_id, 'test', 60);
    expect(await reason(verifier.verifyApiKey(second.api_key))).toBe('ok');
    expect(await reason(verifier.verifyApiKey(first.api_key))).toBe('ok');
    expect(await reason(verifier.verifyApiKey(key.api_key))).toBe('wrong-secret');
  });
});
