import bcrypt from 'bcrypt';
import type { ApiKeyChanges } from '../../src/auth/api-key.changes';
import { parseApiKey } from '../../src/auth/api-key.format';
import { ApiKeyIssuer, KeyRotationConflictProblem, ROTATION_CLAIM_LEASE_MS } from '../../src/auth/api-key.issuer';
import type { ApiKeyRepository } from '../../src/auth/api-key.repository';
import type { ApiKeyRecord, ApiKeyRotationClaim } from '../../src/auth/api-key.schema';
import { AuthConfig } from '../../src/auth/auth.config';
import type { SigningSecretSealer } from '../../src/auth/signing-secret.sealer';
import { NotFoundProblem, ValidationProblem } from '../../src/common/problem/problem.exception';

const NOW = 1_700_000_000_000;

/** ApiKeyIssuer with the repository (Mongo), sealer (KMS) and ApiKeyChanges replaced. */
function setup() {
  const rows = new Map<string, ApiKeyRecord>();
  const claims = new Map<string, ApiKeyRotationClaim>();
  const writes: string[] = [];
  const repo = {
    insert: async (r: ApiKeyRecord) => void (writes.push('insert'), rows.set(r.key_id, { ...r })),
    findById: async (id: string) => (rows.has(id) ? { ...rows.get(id)! } : null),
    replaceSecrets: async (id: string, readVersion: number | undefined, set: Partial<ApiKeyRecord>) => {
      writes.push('replaceSecrets');
      const r = rows.get(id);
      if (!r || r.status !== 'active' || r.secret_version !== readVersion) return null;
      Object.assign(r, set, { secret_version: (readVersion ?? 0) + 1 });
      return { ...r };
    },
    insertRotationClaim: async (c: ApiKeyRotationClaim) => (claims.has(c._id) ? false : (claims.set(c._id, c), true)),
    findRotationClaim: async (id: string) => claims.get(id) ?? null,
  } as unknown as ApiKeyRepository;
  // "Sealed" = the secrets in a wrapper, so the test can read what was sealed.
  const sealer = {
    seal: async (keyId: string, secrets: object) => ({ keyId, secrets }),
    open: async (r: ApiKeyRecord) => (r.signing as unknown as { secrets: { current: string; previous?: string } }).secrets,
  } as unknown as SigningSecretSealer;
  const changes: string[] = [];
  const changeSink = {
    created: async (e: { action: string }) => void changes.push(`created:${e.action}`),
    committed: async (id: string, e: { action: string }) => void changes.push(`committed:${id}:${e.action}`),
  } as unknown as ApiKeyChanges;
  const config = Object.assign(new AuthConfig(), { AUTH_BCRYPT_COST: 4, AUTH_ROTATION_GRACE_SECONDS: 60 });
  const issuer = new ApiKeyIssuer(repo, sealer, changeSink, config, () => NOW);
  return { issuer, rows, claims, writes, changes };
}

describe('ApiKeyIssuer (adapters replaced)', () => {
  it('create stores only a bcrypt hash and the sealed signing secret, and returns both secrets once', async () => {
    const { issuer, rows, changes } = setup();
    const issued = await issuer.create({ client_id: 'c', name: 'n', role: 'client' }, 'test');
    const parsed = parseApiKey(issued.api_key)!;
    expect(parsed.keyId).toBe(issued.key_id);
    const stored = rows.get(issued.key_id)!;
    expect(await bcrypt.compare(parsed.secret, stored.secret_hash)).toBe(true);
    expect(JSON.stringify({ ...stored, signing: undefined })).not.toContain(parsed.secret);
    expect(stored.signing).toEqual({ keyId: issued.key_id, secrets: { current: issued.signing_secret } });
    expect(issued.signing_secret).toMatch(/^fgws_/);
    expect(stored).toMatchObject({ status: 'active', secret_version: 0, created_at: new Date(NOW) });
    expect(changes).toEqual(['created:auth.key.created']);
  });

  it('create refuses a malformed IP allowlist before writing anything', async () => {
    const { issuer, writes, changes } = setup();
    await expect(issuer.create({ client_id: 'c', name: 'n', role: 'client', ip_allowlist: ['10.0.0.0/99'] }, 'test')).rejects.toBeInstanceOf(
      ValidationProblem,
    );
    expect(writes).toEqual([]);
    expect(changes).toEqual([]);
  });

  it('rotate keeps the old secrets as previous for the grace period and reports the committed change', async () => {
    const { issuer, rows, changes } = setup();
    const old = await issuer.create({ client_id: 'c', name: 'n', role: 'client' }, 'test');
    const fresh = await issuer.rotate(old.key_id, 'test', 30);
    const stored = rows.get(old.key_id)!;
    expect(await bcrypt.compare(parseApiKey(fresh.api_key)!.secret, stored.secret_hash)).toBe(true);
    expect(await bcrypt.compare(parseApiKey(old.api_key)!.secret, stored.previous_secret_hash!)).toBe(true);
    expect(stored.previous_valid_until).toEqual(new Date(NOW + 30_000));
    expect(stored.signing).toEqual({ keyId: old.key_id, secrets: { current: fresh.signing_secret, previous: old.signing_secret } });
    expect(stored.secret_version).toBe(1);
    expect(changes).toEqual(['created:auth.key.created', `committed:${old.key_id}:auth.key.rotated`]);
  });

  it('rotate: 404 for an unknown key; 409 (nothing written) while another rotation holds a fresh claim', async () => {
    const { issuer, claims, writes, changes } = setup();
    await expect(issuer.rotate('unknownkey22', 'test')).rejects.toBeInstanceOf(NotFoundProblem);
    const key = await issuer.create({ client_id: 'c', name: 'n', role: 'client' }, 'test');
    claims.set(`${key.key_id}:1:0`, { _id: `${key.key_id}:1:0`, key_id: key.key_id, secret_version: 1, actor: 'other', claimed_at: new Date(NOW - 1000) });
    const refused = await issuer.rotate(key.key_id, 'test').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(KeyRotationConflictProblem);
    expect((refused as KeyRotationConflictProblem).extensions).toEqual({ reason: 'concurrent-rotation' });
    expect(writes).toEqual(['insert']);
    expect(changes).toEqual(['created:auth.key.created']);
  });

  it('rotate: a claim older than the lease (its rotation never wrote) no longer blocks; the next attempt is claimed', async () => {
    const { issuer, claims } = setup();
    const key = await issuer.create({ client_id: 'c', name: 'n', role: 'client' }, 'test');
    const stale = new Date(NOW - ROTATION_CLAIM_LEASE_MS - 1);
    claims.set(`${key.key_id}:1:0`, { _id: `${key.key_id}:1:0`, key_id: key.key_id, secret_version: 1, actor: 'crashed', claimed_at: stale });
    await issuer.rotate(key.key_id, 'test');
    expect(claims.get(`${key.key_id}:1:1`)).toMatchObject({ actor: 'test' });
  });
});
