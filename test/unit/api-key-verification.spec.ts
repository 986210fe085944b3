import { ApiKeyAdmin } from '../../src/auth/api-key.admin';
import { ApiKeyChanges } from '../../src/auth/api-key.changes';
import { ApiKeyIssuer } from '../../src/auth/api-key.issuer';
import { ApiKeyVerifier } from '../../src/auth/api-key.verifier';
import { SigningSecretSealer } from '../../src/auth/signing-secret.sealer';
import type { ApiKeyRepository } from '../../src/auth/api-key.repository';
import type { ApiKeyRecord } from '../../src/auth/api-key.schema';
import { AuthConfig } from '../../src/auth/auth.config';
import { VerificationFailed } from '../../src/auth/auth.errors';

/** The API-key services assembled as in AuthModule, with their adapters (Mongo repository, KMS, Redis bus, audit, metrics) replaced. */
function setup(ttlMs: number) {
  let now = 1_700_000_000_000;
  const rows = new Map<string, ApiKeyRecord>();
  const reads = { count: 0 };
  const repo = {
    insert: async (r: ApiKeyRecord) => void rows.set(r.key_id, { ...r }),
    findById: async (id: string) => {
      reads.count++;
      const r = rows.get(id);
      return r ? { ...r } : null;
    },
    update: async (id: string, set: Partial<ApiKeyRecord>) => {
      const r = rows.get(id);
      if (!r) return null;
      Object.assign(r, set);
      return { ...r };
    },
    replaceSecrets: async (id: string, readVersion: number | undefined, set: Partial<ApiKeyRecord>) => {
      const r = rows.get(id);
      if (!r || r.status !== 'active' || r.secret_version !== readVersion) return null;
      Object.assign(r, set, { secret_version: (readVersion ?? 0) + 1 });
      return { ...r };
    },
    insertRotationClaim: async () => true,
  } as unknown as ApiKeyRepository;
  const envelopes = {
    encrypt: async (_p: string, _c: unknown, fields: Record<string, string>) => ({ fields }),
    decrypt: async (_c: unknown, env: { fields: Record<string, string> }) => env.fields,
  };
  const listeners: Array<(id: string) => void> = [];
  const bus = { onChange: (l: (id: string) => void) => listeners.push(l), publish: async (id: string) => listeners.forEach((l) => l(id)) };
  const audit = { record: async () => undefined };
  const failures: string[] = [];
  const metrics = { failed: (r: string) => failures.push(r), cacheLookup: () => undefined };
  const config = Object.assign(new AuthConfig(), { AUTH_BCRYPT_COST: 4, AUTH_VERIFY_CACHE_TTL_MS: ttlMs });
  const sealer = new SigningSecretSealer(envelopes as any);
  const verifier = new ApiKeyVerifier(repo, sealer, bus as any, metrics as any, config, () => now);
  const changes = new ApiKeyChanges(verifier, bus as any, audit as any);
  const issuer = new ApiKeyIssuer(repo, sealer, changes, config, () => now);
  const admin = new ApiKeyAdmin(repo, changes, () => now);
  verifier.onModuleInit();
  return { issuer, admin, verifier, changes, reads, advance: (ms: number) => (now += ms) };
}

const reason = (p: Promise<unknown>) => p.then(() => 'ok', (e) => (e instanceof VerificationFailed ? e.reason : String(e)));

describe('API-key verification through issuing, rotation and revocation (adapters replaced)', () => {
  it('runs the lookup and bcrypt once per TTL with the cache, every time without it', async () => {
    const on = setup(60_000);
    const key = await on.issuer.create({ client_id: 'c', name: 'n', role: 'client' }, 'test');
    for (let i = 0; i < 5; i++) await on.verifier.verifyApiKey(key.api_key);
    expect(on.reads.count).toBe(1);
    on.advance(60_001);
    await on.verifier.verifyApiKey(key.api_key);
    expect(on.reads.count).toBe(2);

    const off = setup(0);
    const key2 = await off.issuer.create({ client_id: 'c', name: 'n', role: 'client' }, 'test');
    for (let i = 0; i < 3; i++) await off.verifier.verifyApiKey(key2.api_key);
    expect(off.reads.count).toBe(3);
  });

  it('never caches a failure, and revocation drops the cached success', async () => {
    const { issuer, admin, verifier, changes } = setup(60_000);
    const key = await issuer.create({ client_id: 'c', name: 'n', role: 'client' }, 'test');
    expect(await reason(verifier.verifyApiKey(`${key.api_key.slice(0, -2)}xx`))).toBe('wrong-secret');
    expect(await reason(verifier.verifyApiKey(key.api_key))).toBe('ok');
    await admin.revoke(key.key_id, 'test');
    expect(await reason(verifier.verifyApiKey(key.api_key))).toBe('revoked');
  });

  it('accepts the previous secret (and signing secret) only until the grace period ends', async () => {
    const { issuer, admin, verifier, changes, advance } = setup(60_000);
    const old = await issuer.create({ client_id: 'c', name: 'n', role: 'client' }, 'test');
    const fresh = await issuer.rotate(old.key_id, 'test', 30);
    expect(await reason(verifier.verifyApiKey(old.api_key))).toBe('ok');
    expect((await verifier.signingSecretsFor(old.key_id)).secrets).toEqual([fresh.signing_secret, old.signing_secret]);
    advance(30_001);
    expect(await reason(verifier.verifyApiKey(old.api_key))).toBe('wrong-secret');
    expect(await reason(verifier.verifyApiKey(fresh.api_key))).toBe('ok');
    expect((await verifier.signingSecretsFor(old.key_id)).secrets).toEqual([fresh.signing_secret]);
  });

  it('rejects an expired key, also once its success was cached', async () => {
    const { issuer, admin, verifier, changes, advance } = setup(60_000);
    const key = await issuer.create({ client_id: 'c', name: 'n', role: 'client', expires_at: new Date(1_700_000_010_000) }, 'test');
    expect(await reason(verifier.verifyApiKey(key.api_key))).toBe('ok');
    advance(10_001);
    expect(await reason(verifier.verifyApiKey(key.api_key))).toBe('expired');
    expect(await reason(verifier.verifyApiKey('fgw_short'))).toBe('malformed');
  });
});
