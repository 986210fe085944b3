import { ApiKeyAdmin } from '../../src/auth/api-key.admin';
import type { ApiKeyChanges } from '../../src/auth/api-key.changes';
import type { ApiKeyFilter, ApiKeyRepository } from '../../src/auth/api-key.repository';
import type { ApiKeyRecord } from '../../src/auth/api-key.schema';
import { NotFoundProblem, ValidationProblem } from '../../src/common/problem/problem.exception';

const NOW = 1_700_000_000_000;

const recordOf = (i: number): ApiKeyRecord =>
  ({
    key_id: `key${String(i).padStart(9, 'a')}`,
    client_id: 'c',
    role: i % 2 ? 'admin' : 'client',
    name: `n${i}`,
    status: 'active',
    secret_hash: '$2b$04$hash',
    signing: {},
    ip_allowlist: [],
    created_at: new Date(NOW - i * 1000),
    updated_at: new Date(NOW),
  }) as unknown as ApiKeyRecord;

/** ApiKeyAdmin with the repository (Mongo) and ApiKeyChanges replaced. */
function setup(count = 5) {
  const rows = Array.from({ length: count }, (_, i) => recordOf(i));
  const listed: Array<{ limit: number; after?: unknown }> = [];
  const repo = {
    findById: async (id: string) => rows.find((r) => r.key_id === id) ?? null,
    update: async (id: string, set: Partial<ApiKeyRecord>) => {
      const r = rows.find((x) => x.key_id === id);
      return r ? Object.assign(r, set) : null;
    },
    // Newest first, after the cursor: the same order the Mongo adapter sorts by.
    list: async (_f: ApiKeyFilter, limit: number, after?: { created_at: Date; key_id: string }) => {
      listed.push({ limit, after });
      return rows.filter((r) => !after || r.created_at < after.created_at).slice(0, limit);
    },
    countAdmins: async () => rows.filter((r) => r.role === 'admin' && r.status === 'active').length,
  } as unknown as ApiKeyRepository;
  const changes: Array<{ keyId: string; action: string; details: unknown }> = [];
  const sink = { committed: async (keyId: string, e: { action: string; details: unknown }) => void changes.push({ keyId, action: e.action, details: e.details }) };
  return { admin: new ApiKeyAdmin(repo, sink as unknown as ApiKeyChanges, () => NOW), rows, changes, listed };
}

describe('ApiKeyAdmin (adapters replaced)', () => {
  it('lists page by page with an opaque cursor, without secrets, until the last page', async () => {
    const { admin } = setup(5);
    const first = await admin.list({}, 2);
    expect(first.items.map((v) => v.name)).toEqual(['n0', 'n1']);
    expect(JSON.stringify(first)).not.toContain('$2b$');
    const second = await admin.list({}, 2, first.next_cursor!);
    expect(second.items.map((v) => v.name)).toEqual(['n2', 'n3']);
    const last = await admin.list({}, 2, second.next_cursor!);
    expect(last).toMatchObject({ items: [{ name: 'n4' }], next_cursor: null });
  });

  it('refuses a cursor it did not issue with 400, before reading', async () => {
    const { admin, listed } = setup();
    await expect(admin.list({}, 2, 'not-a-cursor')).rejects.toBeInstanceOf(ValidationProblem);
    expect(listed).toEqual([]);
  });

  it('update writes only the given settings and reports the change; 404 (nothing reported) for an unknown key', async () => {
    const { admin, rows, changes } = setup();
    const view = await admin.update(rows[0].key_id, { name: 'renamed', expires_at: undefined }, 'test');
    expect(view.name).toBe('renamed');
    expect(changes).toEqual([{ keyId: rows[0].key_id, action: 'auth.key.updated', details: { fields: ['name'] } }]);
    await expect(admin.update('unknownkey22', { name: 'x' }, 'test')).rejects.toBeInstanceOf(NotFoundProblem);
    await expect(admin.update(rows[0].key_id, { ip_allowlist: ['not-an-ip'] }, 'test')).rejects.toBeInstanceOf(ValidationProblem);
    expect(changes).toHaveLength(1);
  });

  it('revoke marks the key revoked at once and reports the change; counts only active admin keys', async () => {
    const { admin, rows, changes } = setup(4);
    expect(await admin.countActiveAdmins()).toBe(2);
    const view = await admin.revoke(rows[1].key_id, 'test');
    expect(view.status).toBe('revoked');
    expect(rows[1]).toMatchObject({ status: 'revoked', revoked_at: new Date(NOW) });
    expect(changes).toEqual([{ keyId: rows[1].key_id, action: 'auth.key.revoked', details: {} }]);
    expect(await admin.countActiveAdmins()).toBe(1);
    await expect(admin.get('unknownkey22')).rejects.toBeInstanceOf(NotFoundProblem);
  });
});
