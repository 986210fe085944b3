import { Types } from 'mongoose';
import { loadSlice } from '../../src/config/env.validation';
import { EnvelopeService } from '../../src/kms/envelope.service';
import { KmsConfig } from '../../src/kms/kms.config';
import { LocalKmsProvider } from '../../src/kms/local.kms-provider';
import { TokenMigrationService } from '../../src/tokens/token-migration.service';
import type { TokenRepository } from '../../src/tokens/token.repository';
import type { TokenDocument } from '../../src/tokens/token.schema';
import { TokenStore } from '../../src/tokens/token.store';

/** The Mongo adapter replaced by an in-memory one with the same single-purpose methods. */
class MemoryTokenRepository {
  docs: TokenDocument[] = [];
  checkpoints = new Map<string, Record<string, unknown>>();

  async findByUserId(userId: string) {
    const d = this.docs.find((x) => x.user_id === userId);
    return d ? { ...d } : null;
  }
  async findById(id: Types.ObjectId) {
    const d = this.docs.find((x) => String(x._id) === String(id));
    return d ? { ...d } : null;
  }
  async upsertEncrypted(userId: string, enc: TokenDocument['enc']) {
    let doc = this.docs.find((d) => d.user_id === userId);
    if (!doc) this.docs.push((doc = { _id: new Types.ObjectId(), user_id: userId }));
    doc.enc = enc;
    delete doc.oauth_token;
    delete doc.oauth_token_secret;
  }
  async findLegacyAfter(afterId: Types.ObjectId | null, limit: number) {
    return this.docs
      .filter((d) => !d.enc && d.oauth_token !== undefined && (!afterId || String(d._id) > String(afterId)))
      .sort((a, b) => String(a._id).localeCompare(String(b._id)))
      .slice(0, limit)
      .map((d) => ({ ...d }));
  }
  async replaceLegacy(doc: TokenDocument, enc: TokenDocument['enc']) {
    const cur = this.docs.find((d) => String(d._id) === String(doc._id));
    if (!cur || cur.enc || cur.oauth_token !== doc.oauth_token || cur.oauth_token_secret !== doc.oauth_token_secret) return false;
    cur.enc = enc;
    delete cur.oauth_token;
    delete cur.oauth_token_secret;
    return true;
  }
  async countLegacy() {
    return this.docs.filter((d) => !d.enc && d.oauth_token !== undefined).length;
  }
  async getCheckpoint(id: string) {
    return (this.checkpoints.get(id) as never) ?? null;
  }
  async saveCheckpoint(id: string, patch: Record<string, unknown>) {
    this.checkpoints.set(id, { ...(this.checkpoints.get(id) ?? {}), ...patch });
  }
}

describe('TokenStore and TokenMigrationService (adapters replaced)', () => {
  let repo: MemoryTokenRepository;
  let store: TokenStore;
  let migration: TokenMigrationService;
  const audit = { record: jest.fn(async () => undefined) };
  const metrics = { migrated: { inc: jest.fn() } };

  beforeEach(() => {
    repo = new MemoryTokenRepository();
    const envelope = new EnvelopeService(new LocalKmsProvider(new Map()), loadSlice(KmsConfig, {}));
    store = new TokenStore(repo as unknown as TokenRepository, envelope);
    migration = new TokenMigrationService(repo as unknown as TokenRepository, envelope, audit as never, metrics as never);
    for (let i = 0; i < 25; i++) repo.docs.push({ _id: new Types.ObjectId(), user_id: `u${i}`, oauth_token: `t${i}`, oauth_token_secret: `s${i}` });
  });

  it('reads legacy plaintext and encrypted records alike; save removes plaintext', async () => {
    expect(await store.get('u1')).toEqual({ token: 't1', secret: 's1' });
    await store.save('u1', { token: 'new', secret: 'newer' });
    const doc = repo.docs.find((d) => d.user_id === 'u1')!;
    expect(doc.oauth_token).toBeUndefined();
    expect(JSON.stringify(doc)).not.toContain('newer');
    expect(await store.get('u1')).toEqual({ token: 'new', secret: 'newer' });
  });

  it('dry-run writes nothing; a run migrates all, skips records re-saved meanwhile, and a rerun changes nothing', async () => {
    expect(await migration.run({ dryRun: true, batchSize: 10 })).toMatchObject({ scanned: 25, migrated: 0, remaining: 25 });
    expect(await repo.countLegacy()).toBe(25);

    // A user re-authorises while the first batch is in flight: the migration must not overwrite the new token.
    const report = await migration.run({
      batchSize: 10,
      verify: true,
      afterBatch: async (r) => {
        if (r.scanned === 10) await store.save('u20', { token: 'fresh', secret: 'fresh-secret' });
      },
    });
    expect(report).toMatchObject({ migrated: 24, verified: 24, verifyFailures: 0, remaining: 0 });
    expect(await store.get('u20')).toEqual({ token: 'fresh', secret: 'fresh-secret' });
    for (let i = 0; i < 25; i++) if (i !== 20) expect(await store.get(`u${i}`)).toEqual({ token: `t${i}`, secret: `s${i}` });
    const snapshot = JSON.stringify(repo.docs);
    expect(await migration.run({ batchSize: 10 })).toMatchObject({ scanned: 0, migrated: 0, remaining: 0 });
    expect(JSON.stringify(repo.docs)).toBe(snapshot);
  });

  it('resumes after a crash from its checkpoint without rescanning finished batches', async () => {
    await expect(
      migration.run({
        batchSize: 10,
        afterBatch: (r) => {
          if (r.scanned === 10) throw new Error('crash');
        },
      }),
    ).rejects.toThrow('crash');
    expect(await repo.countLegacy()).toBe(15);
    const resumed = await migration.run({ batchSize: 10 });
    expect(resumed).toMatchObject({ scanned: 15, migrated: 15, remaining: 0 });
  });
});
