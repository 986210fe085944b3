import { NotFoundProblem, ValidationProblem } from '../common/problem/problem.exception';
import { ApiKeyChanges } from './api-key.changes';
import { assertCidrs } from './api-key.issuer';
import { type ApiKeyFilter, ApiKeyRepository } from './api-key.repository';
import type { ApiKeyRecord } from './api-key.schema';
import { type ApiKeySettings, type ApiKeyView, toView } from './api-key.view';

/**
 * Administration of existing API keys: reading them (never their secrets),
 * changing their settings and revoking them. Every change is followed by
 * ApiKeyChanges (forget here, security event, announce to the other replicas).
 * Issuing secrets (create, rotate) is ApiKeyIssuer's.
 */
export class ApiKeyAdmin {
  constructor(
    private readonly repo: ApiKeyRepository,
    private readonly changes: ApiKeyChanges,
    private readonly now: () => number = Date.now,
  ) {}

  /** One key; 404 when unknown. */
  async get(keyId: string): Promise<ApiKeyView> {
    const record = await this.repo.findById(keyId);
    if (!record) throw new NotFoundProblem();
    return toView(record);
  }

  /** Newest first; `cursor` is the `next_cursor` of the previous page (400 for anything else). */
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

  /** Active admin keys (the first-admin CLI refuses to create another one when there is any). */
  countActiveAdmins(): Promise<number> {
    return this.repo.countAdmins();
  }

  /** Changes name, rate-limit override, IP allowlist or expiry; 404 when unknown. */
  async update(keyId: string, settings: ApiKeySettings, actor: string): Promise<ApiKeyView> {
    if (settings.ip_allowlist) assertCidrs(settings.ip_allowlist);
    const set = Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined)) as Partial<ApiKeyRecord>;
    const record = await this.repo.update(keyId, { ...set, updated_at: new Date(this.now()) });
    if (!record) throw new NotFoundProblem();
    await this.changes.committed(keyId, { action: 'auth.key.updated', actor, target: keyId, details: { fields: Object.keys(set) } });
    return toView(record);
  }

  /** Immediate here; everywhere once announced (retried until Redis takes it), at worst after the cache TTL. */
  async revoke(keyId: string, actor: string): Promise<ApiKeyView> {
    const at = new Date(this.now());
    const record = await this.repo.update(keyId, { status: 'revoked', revoked_at: at, updated_at: at });
    if (!record) throw new NotFoundProblem();
    await this.changes.committed(keyId, { action: 'auth.key.revoked', actor, target: keyId, details: {} });
    return toView(record);
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
