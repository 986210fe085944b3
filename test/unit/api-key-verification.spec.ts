import { ApiKeyService } from '../../src/auth/api-key.service';
import type { ApiKeyRepository } from '../../src/auth/api-key.repository';
import type { ApiKeyRecord } from '../../src/auth/api-key.schema';
import { AuthConfig } from '../../src/auth/auth.config';
import { VerificationFailed } from '../../src/auth/auth.errors';

/** ApiKeyService with its adapters (Mongo repository, KMS, Redis bus, audit, metrics) replaced. */
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
  const service = new ApiKeyService(repo, envelopes as any, bus as any, audit as any, metrics as any, config, () => now);
  service.onModuleInit();
  return { service, reads, advance: (ms: number) => (now += ms) };
}

const reason = (p: Promise<unknown>) => p.then(() => 'ok', (e) => (e instanceof VerificationFailed ? e.reason : String(e)));

describe('ApiKeyService (adapters replaced)', () => {
  it('runs the lookup and bcrypt once per TTL with the cache, every time without it', async () => {
    const on = setup(60_000);
    const key = await on.service.create({ client_id: 'c', name: 'n', role: 'client' }, 'test');
    for (let i = 0; i < 5; i++) await on.service.verifyApiKey(key.api_key);
    expect(on.reads.count).toBe(1);
    on.advance(60_001);
    await on.service.verifyApiKey(key.api_key);
    expect(on.reads.count).toBe(2);

    const off = setup(0);
    const key2 = await off.service.create({ client_id: 'c', name: 'n', role: 'client' }, 'test');
    for (let i = 0; i < 3; i++) await off.service.verifyApiKey(key2.api_key);
    expect(off.reads.count).toBe(3);
  });

  it('never caches a failure, and revocation drops the cached success', async () => {
    const { service } = setup(60_000);
    const key = await service.create({ client_id: 'c', name: 'n', role: 'client' }, 'test');
    expect(await reason(service.verifyApiKey(`${key.api_key.slice(0, -2)}xx`))).toBe('wrong-secret');
    expect(await reason(service.verifyApiKey(key.api_key))).toBe('ok');
    await service.revoke(key.key_id, 'test');
    expect(await reason(service.verifyApiKey(key.api_key))).toBe('revoked');
  });

  it('accepts the previous secret (and signing secret) only until the grace period ends', async () => {
    const { service, advance } = setup(60_000);
    const old = await service.create({ client_id: 'c', name: 'n', role: 'client' }, 'test');
    const fresh = await service.rotate(old.key_id, 'test', 30);
    expect(await reason(service.verifyApiKey(old.api_key))).toBe('ok');
    expect((await service.signingSecretsFor(old.key_id)).secrets).toEqual([fresh.signing_secret, old.signing_secret]);
    advance(30_001);
    expect(await reason(service.verifyApiKey(old.api_key))).toBe('wrong-secret');
    expect(await reason(service.verifyApiKey(fresh.api_key))).toBe('ok');
    expect((await service.signingSecretsFor(old.key_id)).secrets).toEqual([fresh.signing_secret]);
  });

  it('rejects an expired key, also once its success was cached', async () => {
    const { service, advance } = setup(60_000);
    const key = await service.create({ client_id: 'c', name: 'n', role: 'client', expires_at: new Date(1_700_000_010_000) }, 'test');
    expect(await reason(service.verifyApiKey(key.api_key))).toBe('ok');
    advance(10_001);
    expect(await reason(service.verifyApiKey(key.api_key))).toBe('expired');
    expect(await reason(service.verifyApiKey('fgw_short'))).toBe('malformed');
  });
});
