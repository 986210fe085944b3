import { createHash, randomBytes } from 'node:crypto';
import { Controller, Get, Param } from '@nestjs/common';
import { Public } from '../../src/common/http/route-access';
import { getConnectionToken } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import { TokenStore } from '../../src/tokens/token.store';
import { TokensModule } from '../../src/tokens/tokens.module';
import { createTransitKeys, useOpenBao } from '../integration/kms-env';
import { AUTH_TEST_ENV, createApiKey } from '../support/factories/api-key.factory';
import { cliReport, runCli } from '../support/processes';
import { startTestApp, type TestApp } from '../support/test-app';

const suffix = randomBytes(4).toString('hex');
const env = useOpenBao(suffix);
// "A few thousand" documents: 2000 by default (TOKENS_MIGRATION_E2E_DOCS overrides). On FerretDB's SQLite backend
// (DEV_FERRETDB_BACKEND=sqlite) the migration's conditional updates scan the collection and this file takes about
// 15 minutes on 2 cores; on the PostgreSQL backend (the local default) about half a minute. MongoDB uses the indexes.
const N = Number(process.env.TOKENS_MIGRATION_E2E_DOCS ?? 2000);
const plain = (i: number) => ({ token: `72157-${suffix}-legacy-token-${i}`, secret: `legacy-secret-${suffix}-${i}` });
const digest = (t: { token: string; secret: string }) => createHash('sha256').update(`${t.token}\n${t.secret}`).digest('hex');

/** Test-only route: reads through TokenStore and answers a digest, so the test can check correctness without any route returning a token. */
@Public()
@Controller('__fixture/tokens')
class TokenDigestController {
  constructor(private readonly store: TokenStore) {}

  @Get(':userId')
  async digest(@Param('userId') userId: string) {
    const tokens = await this.store.get(userId);
    return { digest: tokens ? digest(tokens) : null };
  }
}

/** Runs the migration CLI as its own process against this file's database. */
const cli = (args: string[]) => runCli(args, env);
const report = cliReport;

describe('zero-downtime migration of legacy plaintext tokens', () => {
  let t: TestApp;
  let adminKey: string;
  let db: Connection;

  beforeAll(async () => {
    await createTransitKeys();
    // The fixture's read traffic would otherwise hit the per-IP limit; limits are not what this test is about.
    t = await startTestApp({ env: { ...env, ...AUTH_TEST_ENV, RATE_LIMIT_ENABLED: 'false' }, controllers: [TokenDigestController], imports: [TokensModule] });
    adminKey = (await createApiKey(t.app, { role: 'admin' })).api_key;
    db = t.app.get<Connection>(getConnectionToken());
    const docs = Array.from({ length: N }, (_, i) => ({ user_id: `legacy-${i}`, oauth_token: plain(i).token, oauth_token_secret: plain(i).secret }));
    for (let i = 0; i < N; i += 500) await db.db!.collection('tokens').insertMany(docs.slice(i, i + 500));
  });
  afterAll(async () => {
    await t?.close();
  });

  it('legacy documents are readable before migration, and the metric and status count them', async () => {
    const res = await fetch(`${t.url}/__fixture/tokens/legacy-7`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ digest: digest(plain(7)) });
    const status = await (await fetch(`${t.url}/admin/kms/tokens/migration`, { headers: { 'x-api-key': adminKey } })).json();
    expect(status).toEqual({ plaintextRemaining: N, encrypted: 0 });
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`^fgw_tokens_plaintext_remaining ${N}$`, 'm'));
  });

  it('--dry-run reports without changing anything', async () => {
    const run = await cli(['tokens:migrate', '--dry-run']);
    expect(run.code).toBe(0);
    expect(report(run.stdout)).toMatchObject({ dryRun: true, scanned: N, migrated: 0, remaining: N });
    expect(await db.db!.collection('tokens').countDocuments({ enc: { $exists: true } })).toBe(0);
  });

  it('migrates while HTTP reads keep succeeding; nothing left plaintext; a second run changes nothing', async () => {
    // FerretDB (SQLite) answers a few hundred small queries per second on this machine; no timing is asserted.
    let reads = 0;
    const failures: string[] = [];
    let done = false;
    const readers = Array.from({ length: 2 }, async () => {
      while (!done) {
        const i = Math.floor(Math.random() * N);
        try {
          const res = await fetch(`${t.url}/__fixture/tokens/legacy-${i}`);
          const body = (await res.json()) as { digest?: string };
          if (res.status !== 200 || body.digest !== digest(plain(i))) failures.push(`legacy-${i}: ${res.status} ${JSON.stringify(body)}`);
        } catch (error) {
          failures.push(`legacy-${i}: ${String(error)}`);
        }
        reads++;
        // Steady traffic rather than a flood: leave FerretDB room for the migration's writes.
        await new Promise((r) => setTimeout(r, 20));
      }
    });
    const run = await cli(['tokens:migrate', '--verify', '--batch-size=250']);
    done = true;
    await Promise.all(readers);
    expect(run.stderr).not.toContain('legacy-token');
    expect(run.code).toBe(0);
    expect(report(run.stdout)).toMatchObject({ dryRun: false, migrated: N, verified: N, verifyFailures: 0, remaining: 0 });
    expect(failures).toEqual([]);
    expect(reads).toBeGreaterThan(20);

    const coll = db.db!.collection('tokens');
    expect(await coll.countDocuments({ oauth_token: { $exists: true } })).toBe(0);
    expect(await coll.countDocuments({ enc: { $exists: true } })).toBe(N);
    const raw: Buffer[] = [];
    for await (const doc of coll.find({}, { raw: true })) raw.push(Buffer.from(doc as unknown as Uint8Array));
    const dump = Buffer.concat(raw);
    for (let i = 0; i < N; i += 7) expect(dump.includes(Buffer.from(plain(i).token))).toBe(false);

    const snapshot = JSON.stringify(await coll.find({}, { projection: { enc: 1 } }).sort({ _id: 1 }).toArray());
    const second = await cli(['tokens:migrate', '--verify']);
    expect(second.code).toBe(0);
    expect(report(second.stdout)).toMatchObject({ scanned: 0, migrated: 0, remaining: 0 });
    expect(JSON.stringify(await coll.find({}, { projection: { enc: 1 } }).sort({ _id: 1 }).toArray())).toBe(snapshot);

    const status = await (await fetch(`${t.url}/admin/kms/tokens/migration`, { headers: { 'x-api-key': adminKey } })).json();
    expect(status).toEqual({ plaintextRemaining: 0, encrypted: N });
    expect(await (await fetch(`${t.url}/metrics`)).text()).toMatch(/^fgw_tokens_plaintext_remaining 0$/m);
    for (const i of [0, Math.floor(N / 2), N - 1]) {
      expect(await (await fetch(`${t.url}/__fixture/tokens/legacy-${i}`)).json()).toEqual({ digest: digest(plain(i)) });
    }
  }, 1_800_000);
});
