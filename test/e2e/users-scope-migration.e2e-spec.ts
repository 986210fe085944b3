import { getConnectionToken } from '@nestjs/mongoose';
import { type Connection, Types } from 'mongoose';
import type { IssuedApiKey } from '../../src/auth/api-key.view';
import { FlickrClient } from '../../src/flickr/flickr.client';
import { TokenStore } from '../../src/tokens/token.store';
import { FakeFlickr, REAL_FLICKR_ORIGINS } from '../../tools/sandbox-flickr/fake-flickr.server';
import { AUTH_TEST_ENV, createApiKey } from '../support/factories/api-key.factory';
import { fakeFlickrEnv } from '../support/factories/flickr.factory';
import { cliReport, runCli } from '../support/processes';
import { startTestApp, type TestApp } from '../support/test-app';
import { sharedKmsEnv } from '../support/uploads';

// Legacy users of two clients; every one connected, some with plaintext tokens (the oldest schema).
const N = Number(process.env.USERS_SCOPE_MIGRATION_E2E_USERS ?? 150);
const ALICE = '12345678@N00';

/**
 * The move to per-client user ids on a populated database: legacy user
 * records (ObjectId `_id`, globally unique `user_id`) and their bare-keyed
 * tokens are moved by `users:scope-migrate` while HTTP traffic reads them.
 */
describe('users:scope-migrate: legacy users and tokens move to scoped keys under traffic', () => {
  let fake: FakeFlickr;
  let seed: TestApp;
  let t: TestApp;
  let env: Record<string, string>;
  let db: Connection;
  let keys: IssuedApiKey[];
  const ownerOf = (i: number) => keys[i % 2];
  const otherOf = (i: number) => keys[(i + 1) % 2];

  beforeAll(async () => {
    fake = await FakeFlickr.start({ origins: REAL_FLICKR_ORIGINS });
    env = { ...AUTH_TEST_ENV, ...fakeFlickrEnv(fake), ...sharedKmsEnv(), RATE_LIMIT_ENABLED: 'false' };
    seed = await startTestApp({ env });
    db = seed.app.get<Connection>(getConnectionToken());
    keys = [await createApiKey(seed.app), await createApiKey(seed.app)];
    // Written the way the previous release wrote them: the bare user_id everywhere, its unique index.
    await db.collection('users').createIndex({ user_id: 1 }, { unique: true, name: 'user_id_1' });
    const client = seed.app.get(FlickrClient);
    const store = seed.app.get(TokenStore);
    const now = new Date();
    for (let i = 0; i < N; i++) {
      const userId = `legacy-${i}`;
      const { requestToken, requestTokenSecret } = await client.requestToken('oob');
      const verifier = fake.approve(requestToken, ALICE, 'read');
      const { oauthToken, oauthTokenSecret } = await client.accessToken(requestToken, requestTokenSecret, verifier);
      if (i % 10 === 0) await db.collection('tokens').insertOne({ user_id: userId, oauth_token: oauthToken, oauth_token_secret: oauthTokenSecret });
      else await store.save(userId, { token: oauthToken, secret: oauthTokenSecret });
      await db.collection('users').insertOne({
        _id: new Types.ObjectId(),
        user_id: userId,
        client_id: ownerOf(i).client_id,
        created_at: now,
        flickr: { state: 'connected', nsid: ALICE, username: 'alice', fullname: 'Alice', perms: 'read', connected_at: now, changed_at: now },
      } as never);
    }
    // The replica serving traffic starts on the populated database, as after deploying the release.
    t = await startTestApp({ env });
  }, 300_000);
  afterAll(async () => {
    await t?.close();
    await seed?.close();
    await fake?.close();
  });

  /** One read as the owner (user record and a proxied call that needs the token) and one as the other client. */
  async function readOnce(i: number): Promise<string | null> {
    const user = await fetch(`${t.url}/v1/users/legacy-${i}`, { headers: { 'x-api-key': ownerOf(i).api_key } });
    const body = (await user.json()) as { flickr?: { state: string } };
    if (user.status !== 200 || body.flickr?.state !== 'connected') return `GET legacy-${i}: ${user.status} ${JSON.stringify(body)}`;
    const login = await fetch(`${t.url}/v1/users/legacy-${i}/flickr/flickr.test.login`, {
      method: 'POST',
      headers: { 'x-api-key': ownerOf(i).api_key, 'content-type': 'application/json', 'cache-control': 'no-cache' },
      body: '{}',
    });
    if (login.status !== 200) return `login legacy-${i}: ${login.status} ${await login.text()}`;
    const foreign = await fetch(`${t.url}/v1/users/legacy-${i}`, { headers: { 'x-api-key': otherOf(i).api_key } });
    if (foreign.status !== 404) return `foreign GET legacy-${i}: ${foreign.status}`;
    return null;
  }

  it('legacy records are served before the migration; --dry-run changes nothing', async () => {
    for (const i of [0, 1, 7, N - 1]) expect(await readOnce(i)).toBeNull();
    const before = await db.collection('users').find({}).sort({ user_id: 1 }).toArray();
    const run = await runCli(['users:scope-migrate', '--dry-run'], env);
    expect(run.code).toBe(0);
    expect(cliReport(run.stdout)).toMatchObject({ dryRun: true, scanned: N, usersMoved: 0, tokensMoved: 0 });
    expect(await db.collection('users').find({}).sort({ user_id: 1 }).toArray()).toEqual(before);
  });

  it('migrates while reads keep succeeding; every record is scoped; a second run changes nothing', async () => {
    const failures: string[] = [];
    let reads = 0;
    let done = false;
    const readers = Array.from({ length: 2 }, async () => {
      while (!done) {
        const error = await readOnce(Math.floor(Math.random() * N)).catch((e: Error) => e.message);
        if (error) failures.push(error);
        reads++;
        await new Promise((r) => setTimeout(r, 10));
      }
    });
    const run = await runCli(['users:scope-migrate', '--batch-size=40'], env);
    done = true;
    await Promise.all(readers);
    expect(run.stderr).not.toMatch(/oauth_token_secret|72157/);
    expect(run.code).toBe(0);
    expect(cliReport(run.stdout)).toMatchObject({ dryRun: false, scanned: N, usersMoved: N, tokensMoved: N, remaining: 0 });
    expect(failures).toEqual([]);
    expect(reads).toBeGreaterThan(10);

    const users = db.collection('users');
    expect(await users.countDocuments({ _id: { $type: 'objectId' } })).toBe(0);
    expect(await users.countDocuments({})).toBe(N);
    for (const i of [0, 1, N - 1]) expect(await users.countDocuments({ _id: `${ownerOf(i).client_id}/legacy-${i}` as never })).toBe(1);
    expect((await users.indexes()).some((ix) => ix.name === 'user_id_1')).toBe(false);
    const tokens = db.collection('tokens');
    expect(await tokens.countDocuments({ user_id: /^legacy-/ })).toBe(0);
    expect(await tokens.countDocuments({ oauth_token: { $exists: true } })).toBe(0);
    expect(await tokens.countDocuments({ enc: { $exists: true } })).toBe(N);

    // After the move: every user still works, and the other client can now have a user of the same name.
    for (const i of [0, 1, 10, N - 1]) expect(await readOnce(i)).toBeNull();
    const put = await fetch(`${t.url}/v1/users/legacy-0`, { method: 'PUT', headers: { 'x-api-key': otherOf(0).api_key } });
    expect(put.status).toBe(200);
    expect(((await put.json()) as { flickr: { state: string } }).flickr.state).toBe('not_connected');
    expect(await readOnce(0)).toMatch(/^foreign GET legacy-0: 200/);

    const snapshot = async () => JSON.stringify([await users.find({}).sort({ _id: 1 }).toArray(), await tokens.find({}).sort({ _id: 1 }).toArray()]);
    const before = await snapshot();
    const second = await runCli(['users:scope-migrate'], env);
    expect(second.code).toBe(0);
    expect(cliReport(second.stdout)).toMatchObject({ scanned: 0, usersMoved: 0, tokensMoved: 0, remaining: 0 });
    expect(await snapshot()).toBe(before);
  }, 600_000);
});
