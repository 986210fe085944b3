import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getConnectionToken } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import type { IssuedApiKey } from '../../src/auth/api-key.view';
import { FlickrClient } from '../../src/flickr/flickr.client';
import { TokenStore } from '../../src/tokens/token.store';
import { UserConnectionService } from '../../src/users/user-connection.service';
import { UserOwnershipService } from '../../src/users/user-ownership.service';
import { FakeFlickr, REAL_FLICKR_ORIGINS } from '../../tools/sandbox-flickr/fake-flickr.server';
import { AUTH_TEST_ENV, createApiKey } from '../support/factories/api-key.factory';
import { waitFor } from '../support/processes';
import { startTestApp, type TestApp } from '../support/test-app';
import { fakeFlickrEnv } from '../support/factories/flickr.factory';
import { opsTool, ROOT, run, TOOL_INSTALL_TIMEOUT_MS } from './support/ops-tools';

/**
 * The restore path for real on the local stack: real mongodump/mongorestore (built from the Go module proxy)
 * against FerretDB, tokens encrypted through OpenBao's transit engine (the Vault API). Dump, wipe the
 * database, restore, then a fresh app (no warm caches) decrypts the restored tokens and serves a proxied
 * Flickr call with the restored API key.
 */
describe('MongoDB backup and restore', () => {
  let fake: FakeFlickr;
  let t: TestApp | undefined;
  let dir: string;
  let env: Record<string, string>;
  const mongoUri = () => process.env.FGW_TEST_MONGODB_URI ?? 'mongodb://127.0.0.1:27018/flickr_gateway';
  const database = () => process.env.MONGODB_DATABASE!;
  // The tools refuse a URI naming another database than --db: point the URI at this file's database.
  const dbUri = () => {
    const url = new URL(mongoUri());
    url.pathname = `/${database()}`;
    return url.toString();
  };
  const backup = (cmd: 'dump' | 'restore', archive: string) => run('bash', [join(ROOT, 'scripts', 'mongo-backup.sh'), cmd, dbUri(), database(), archive]);
  // FerretDB refuses the "ns" option mongorestore adds to index specs: restore documents only, and let the
  // app rebuild its indexes at start (checked below). Real MongoDB restores the dumped indexes.
  process.env.MONGO_RESTORE_INDEXES = 'false';

  beforeAll(async () => {
    opsTool('mongodump');
    opsTool('mongorestore');
    dir = mkdtempSync(join(tmpdir(), 'fgw-backup-'));
    fake = await FakeFlickr.start({ origins: REAL_FLICKR_ORIGINS });
    env = {
      ...AUTH_TEST_ENV,
      ...fakeFlickrEnv(fake),
      // Envelope encryption with the data keys wrapped by the local OpenBao's transit keys.
      KMS_PROVIDER: 'vault',
      VAULT_ADDR: process.env.FGW_TEST_VAULT_ADDR ?? 'http://127.0.0.1:8210',
      VAULT_TOKEN: process.env.FGW_TEST_VAULT_TOKEN ?? 'dev-root-token',
      VAULT_AUTH_METHOD: 'token',
      RATE_LIMIT_ENABLED: 'false',
      // Every call reads the user, so the database wiped under the running app shows at once (by default a
      // replica keeps users' connection state up to USERS_CONNECTION_CACHE_TTL_MS and answers cached reads from it).
      USERS_CONNECTION_CACHE_TTL_MS: '0',
    };
  }, TOOL_INSTALL_TIMEOUT_MS);

  afterAll(async () => {
    await t?.close();
    await fake?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Registers the user and connects it to the fake Flickr the way /v1/oauth/verify does (token + connected state). */
  async function connect(app: TestApp, clientId: string, userId: string): Promise<void> {
    await app.app.get(UserOwnershipService).register({ clientId, userId });
    const client = app.app.get(FlickrClient);
    const { requestToken, requestTokenSecret } = await client.requestToken('oob');
    const verifier = fake.approve(requestToken, '12345678@N00', 'read');
    const { oauthToken, oauthTokenSecret } = await client.accessToken(requestToken, requestTokenSecret, verifier);
    await app.app
      .get(UserConnectionService)
      .connect({ clientId, userId }, { nsid: '12345678@N00', username: 'alice', fullname: 'Alice', perms: 'read' }, { token: oauthToken, secret: oauthTokenSecret });
  }

  const login = (app: TestApp, key: IssuedApiKey, user: string) =>
    fetch(`${app.url}/v1/users/${user}/flickr/flickr.test.login`, {
      method: 'POST',
      headers: { 'x-api-key': key.api_key, 'content-type': 'application/json' },
      body: '{}',
    });

  it('dump → wipe → restore: restored tokens decrypt and serve a proxied Flickr call', async () => {
    t = await startTestApp({ env });
    const key = await createApiKey(t.app);
    const users = [`u-${randomBytes(3).toString('hex')}`, `u-${randomBytes(3).toString('hex')}`];
    for (const user of users) await connect(t, key.client_id, user);
    const before = await Promise.all(users.map((u) => t!.app.get(TokenStore).get(`${key.client_id}/${u}`)));
    expect(before.every((tokens) => tokens && tokens.token && tokens.secret)).toBe(true);
    expect((await login(t, key, users[0])).status).toBe(200);

    // The stored documents really are ciphertext: no token or secret in MongoDB.
    const connection = t.app.get<Connection>(getConnectionToken());
    const raw = JSON.stringify(await connection.db!.collection('tokens').find({}).toArray());
    for (const tokens of before) {
      expect(raw).not.toContain(tokens!.token);
      expect(raw).not.toContain(tokens!.secret);
    }

    const archive = join(dir, 'flickr-gateway.archive.gz');
    const dumped = backup('dump', archive);
    expect({ status: dumped.status, failure: dumped.status ? dumped.output : '' }).toEqual({ status: 0, failure: '' });
    expect(statSync(archive).size).toBeGreaterThan(0);

    // Disaster: the database is gone. Close the app too, so nothing answers from warm caches afterwards.
    await connection.dropDatabase();
    expect(await t.app.get(TokenStore).get(`${key.client_id}/${users[0]}`)).toBeNull();
    // 404 (user gone) while the key is still in the verification cache, 401 once it is not.
    expect([401, 404]).toContain((await login(t, key, users[0])).status);
    await t.app.close();
    t = undefined;

    const restored = backup('restore', archive);
    expect({ status: restored.status, failure: restored.status ? restored.output : '' }).toEqual({ status: 0, failure: '' });

    // A fresh app: the data-key cache is empty, so every decrypt unwraps through OpenBao's transit key.
    t = await startTestApp({ env });
    const after = await Promise.all(users.map((u) => t!.app.get(TokenStore).get(`${key.client_id}/${u}`)));
    expect(after).toEqual(before);
    // The app rebuilt the indexes the restore left out (the unique user_id index of the tokens).
    const fresh = t.app.get<Connection>(getConnectionToken());
    await waitFor(async () => (await fresh.db!.collection('tokens').indexes()).some((i) => 'user_id' in i.key && i.unique), { timeoutMs: 30_000 });
    for (const user of users) {
      const res = await login(t, key, user);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ stat: 'ok', user: { id: '12345678@N00' } });
    }
  }, 180_000);
});
