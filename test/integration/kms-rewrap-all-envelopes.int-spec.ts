import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getConnectionToken } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import { ApiKeyIssuer } from '../../src/auth/api-key.issuer';
import { ApiKeyVerifier } from '../../src/auth/api-key.verifier';
import type { IssuedApiKey } from '../../src/auth/api-key.view';
import { loadSlice } from '../../src/config/env.validation';
import type { Envelope } from '../../src/kms/envelope';
import { EnvelopeService } from '../../src/kms/envelope.service';
import { KmsConfig } from '../../src/kms/kms.config';
import { createKmsProvider } from '../../src/kms/kms.module';
import { KmsProvider } from '../../src/kms/kms.provider';
import type { VaultTransitKmsProvider } from '../../src/kms/vault-transit.kms-provider';
import { TokenRewrapJob } from '../../src/tokens/token-rewrap.job';
import { TokenStore } from '../../src/tokens/token.store';
import { AUTH_TEST_ENV, createApiKey } from '../support/factories/api-key.factory';
import { signedHeaders } from '../support/factories/signed-request';
import { startTestApp, type TestApp } from '../support/test-app';
import { useOpenBao } from './kms-env';

const ROOT = join(__dirname, '..', '..');
const suffix = randomBytes(4).toString('hex');
const env = useOpenBao(suffix);
/** The operator: OpenBao's root token (rotation, key config). The app gets a token with the documented policy only. */
const operatorToken = env.VAULT_TOKEN;
const mount = env.KMS_VAULT_TRANSIT_MOUNT;

async function bao(method: string, path: string, body: unknown, token: string): Promise<{ status: number; json: any }> {
  const res = await fetch(`${env.VAULT_ADDR}/v1/${path}`, {
    method,
    headers: { 'x-vault-token': token, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

async function operator(path: string, body: unknown = {}): Promise<any> {
  const res = await bao('POST', path, body, operatorToken);
  if (res.status >= 300) throw new Error(`POST ${path}: ${res.status} ${JSON.stringify(res.json)}`);
  return res.json;
}

/** A policy file of docs/security/vault with this file's key names and mount, written into OpenBao. */
async function installPolicy(file: string, name: string): Promise<void> {
  const hcl = readFileSync(join(ROOT, 'docs/security/vault', file), 'utf8')
    .replaceAll('fgw-user-tokens', env.KMS_KEY_USER_TOKENS)
    .replaceAll('fgw-app-credentials', env.KMS_KEY_APP_CREDENTIALS)
    .replaceAll('"transit/', `"${mount}/`);
  await operator(`sys/policies/acl/${name}`, { policy: hcl });
}

async function tokenWith(policies: string[]): Promise<string> {
  const created = await operator('auth/token/create', { policies, ttl: '1h', no_default_policy: true });
  return created.auth.client_token as string;
}

/** Every envelope-shaped sub-document ({f, p, k, kv, wk, fields}) anywhere in the database, with where it was found. */
async function everyEnvelope(db: Connection): Promise<Array<{ where: string; env: Envelope }>> {
  const found: Array<{ where: string; env: Envelope }> = [];
  const visit = (value: unknown, where: string): void => {
    if (!value || typeof value !== 'object' || Buffer.isBuffer(value)) return;
    const v = value as Record<string, unknown>;
    if (v.f === 1 && typeof v.k === 'string' && typeof v.wk === 'string' && typeof v.kv === 'number') {
      found.push({ where, env: v as unknown as Envelope });
      return;
    }
    for (const [k, child] of Object.entries(v)) visit(child, `${where}.${k}`);
  };
  for (const { name } of await db.db!.listCollections().toArray()) {
    for (const doc of await db.db!.collection(name).find({}).toArray()) visit(doc, `${name}[${String(doc._id)}]`);
  }
  return found;
}

/**
 * The rewrap job covers every envelope under both transit keys, run by the app with the documented (minimal)
 * Vault policy; the operator rotates and raises min_decryption_version. Real OpenBao and FerretDB.
 */
describe('rewrap of every envelope under both keys, with the documented Vault policy (OpenBao + FerretDB)', () => {
  let t: TestApp;
  let appToken: string;
  let db: Connection;
  const issued: IssuedApiKey[] = [];

  beforeAll(async () => {
    for (const name of [env.KMS_KEY_USER_TOKENS, env.KMS_KEY_APP_CREDENTIALS]) await operator(`${mount}/keys/${name}`, { type: 'aes256-gcm96' });
    await installPolicy('flickr-gateway.hcl', `fgw-app-${suffix}`);
    await installPolicy('flickr-gateway-rotate.hcl', `fgw-rotate-${suffix}`);
    appToken = await tokenWith([`fgw-app-${suffix}`]);
    // A few records per data key, so the collections hold several distinct wrapped keys.
    t = await startTestApp({ env: { ...env, ...AUTH_TEST_ENV, VAULT_TOKEN: appToken, KMS_DATA_KEY_MAX_USES: '3' } });
    db = t.app.get<Connection>(getConnectionToken());
  });
  afterAll(async () => {
    await t?.close();
  });

  const signedGet = (key: { key_id: string }, secret: string, url: string) =>
    fetch(`${t.url}${url}`, { headers: signedHeaders({ keyId: key.key_id, signingSecret: secret, method: 'GET', url }) });

  it('the app policy allows what the app does and nothing that changes a key; rotation needs the separate policy', async () => {
    const config = loadSlice(KmsConfig, { ...process.env, VAULT_TOKEN: appToken, VAULT_MAX_RETRIES: '0' });
    const app = createKmsProvider(config, { NODE_ENV: 'test' }) as VaultTransitKmsProvider;
    for (const key of [env.KMS_KEY_USER_TOKENS, env.KMS_KEY_APP_CREDENTIALS]) {
      const dk = await app.generateDataKey(key);
      expect((await app.unwrapDataKey(key, dk.wrapped)).equals(dk.plaintext)).toBe(true);
      expect(await app.rewrapDataKeys(key, [dk.wrapped])).toHaveLength(1);
      expect((await app.keyInfo(key)).latestVersion).toBe(1);
      // No config: not min_decryption_version, not exportable, not deletable; no rotation; no export; no new keys.
      await expect(app.setMinDecryptionVersion(key, 1)).rejects.toMatchObject({ detail: 'Vault answered 403.' });
      expect((await bao('POST', `${mount}/keys/${key}/config`, { exportable: true }, appToken)).status).toBe(403);
      expect((await bao('POST', `${mount}/keys/${key}/config`, { deletion_allowed: true }, appToken)).status).toBe(403);
      expect((await bao('GET', `${mount}/export/encryption-key/${key}`, undefined, appToken)).status).toBe(403);
      await expect(app.rotateKey(key)).rejects.toMatchObject({ detail: 'Vault answered 403.' });
    }
    expect((await bao('POST', `${mount}/keys/fgw-new-${suffix}`, {}, appToken)).status).toBe(403);

    const rotateToken = await tokenWith([`fgw-app-${suffix}`, `fgw-rotate-${suffix}`]);
    const rotator = createKmsProvider(loadSlice(KmsConfig, { ...process.env, VAULT_TOKEN: rotateToken, VAULT_MAX_RETRIES: '0' }), {
      NODE_ENV: 'test',
    }) as VaultTransitKmsProvider;
    const scratch = `scratch-${suffix}`;
    await operator(`${mount}/keys/${scratch}`, { type: 'aes256-gcm96' });
    // The rotate policy names the app's two keys only, and still grants no config.
    await expect(rotator.rotateKey(scratch)).rejects.toMatchObject({ detail: 'Vault answered 403.' });
    expect((await rotator.rotateKey(env.KMS_KEY_APP_CREDENTIALS)).latestVersion).toBe(2);
    await expect(rotator.setMinDecryptionVersion(env.KMS_KEY_APP_CREDENTIALS, 2)).rejects.toMatchObject({ detail: 'Vault answered 403.' });
  });

  it('app-credentials: after a rotation and the rewrap, every api_keys signing envelope is on the newest version and HMAC verification works', async () => {
        for (let i = 0; i < 8; i++) issued.push(await createApiKey(t.app));
    // One key rotated: its envelope seals the current and the previous signing secret (grace running).
    const rotated = await t.app.get(ApiKeyIssuer).rotate(issued[0].key_id, 'test', 3600);
    const before = (await t.app.get(KmsProvider).keyInfo(env.KMS_KEY_APP_CREDENTIALS)).latestVersion;

    // The operator rotates the key (the app's token may not); the app may keep writing with its current data
    // key for a while (up to KMS_DATA_KEY_MAX_USES records), so a record written after the rotation can still be
    // on the old version.
    await operator(`${mount}/keys/${env.KMS_KEY_APP_CREDENTIALS}/rotate`);
    const after = (await t.app.get(KmsProvider).keyInfo(env.KMS_KEY_APP_CREDENTIALS)).latestVersion;
    expect(after).toBe(before + 1);
    issued.push(await createApiKey(t.app));
    const apiKeys = db.collection('api_keys');
    const below = await apiKeys.countDocuments({ 'signing.kv': { $lt: after } });
    expect(below).toBeGreaterThanOrEqual(issued.length - 1);
    const userTokensBefore = (await everyEnvelope(db)).filter((e) => e.env.k === env.KMS_KEY_USER_TOKENS).map((e) => e.env.wk);

    const result = await t.app.get(TokenRewrapJob).run({ actor: 'test', purpose: 'app-credentials', batchSize: 4 });
    expect(result).toMatchObject({ key: env.KMS_KEY_APP_CREDENTIALS, status: 'done', targetVersion: after, processed: below, remaining: 0 });
    for (const d of await apiKeys.find({}).toArray()) {
      expect(d.signing.kv).toBe(after);
      expect(d.signing.wk).toMatch(new RegExp(`^vault:v${after}:`));
    }
    // The other key's envelopes were not touched.
    expect((await everyEnvelope(db)).filter((e) => e.env.k === env.KMS_KEY_USER_TOKENS).map((e) => e.env.wk)).toEqual(userTokensBefore);

    // The operator raises the floor: old versions can no longer decrypt anything. With every cache dropped,
    // each signed request unwraps its key's data key through OpenBao again.
    await operator(`${mount}/keys/${env.KMS_KEY_APP_CREDENTIALS}/config`, { min_decryption_version: after });
    t.app.get(EnvelopeService).cache.clear();
    for (const k of issued) t.app.get(ApiKeyVerifier).forget(k.key_id);
    for (const k of issued.slice(1)) expect((await signedGet(k, k.signing_secret, '/v1/users/rw-unknown')).status).toBe(404);
    expect((await signedGet(issued[0], rotated.signing_secret, '/v1/users/rw-unknown')).status).toBe(404);
    // The previous signing secret, still in its grace period, was rewrapped with the rest of the envelope.
    expect((await signedGet(issued[0], issued[0].signing_secret, '/v1/users/rw-unknown')).status).toBe(404);
    expect((await signedGet(issued[1], 'fgws_not-the-secret', '/v1/users/rw-unknown')).status).toBe(401);
  });

  it('user-tokens: tokens and both oauth_pending envelopes are rewrapped; nothing in the database is left on an old version', async () => {
    const store = t.app.get(TokenStore);
    const envelopes = t.app.get(EnvelopeService);
    for (let i = 0; i < 5; i++) await store.save(`client-x/rw-user-${i}`, { token: `tok-${suffix}-${i}`, secret: `sec-${suffix}-${i}` });
    // oauth_pending as OAuthService writes it: the request-token secret and (callback mode) the verifier,
    // each bound to the request token.
    const pending = db.collection('oauth_pending');
    for (let i = 0; i < 4; i++) {
      const requestToken = `rt-${suffix}-${i}`;
      await pending.insertOne({
        _id: requestToken as never,
        client_id: 'client-x',
        user_id: `rw-user-${i}`,
        mode: 'callback',
        perms: 'read',
        enc: await envelopes.encrypt('user-tokens', { collection: 'oauth_pending', recordId: requestToken }, { oauth_token_secret: `rts-${i}` }),
        verifier_enc: await envelopes.encrypt('user-tokens', { collection: 'oauth_pending.verifier', recordId: requestToken }, { oauth_verifier: `v-${i}` }),
        state: 'approved',
        attempts: 0,
        created_at: new Date(),
        expires_at: new Date(Date.now() + 15 * 60_000),
      });
    }
    await operator(`${mount}/keys/${env.KMS_KEY_USER_TOKENS}/rotate`);
    const kms = t.app.get(KmsProvider);
    const target = (await kms.keyInfo(env.KMS_KEY_USER_TOKENS)).latestVersion;
    expect(target).toBe(2);

    const results = await t.app.get(TokenRewrapJob).runAll({ actor: 'test', batchSize: 3 });
    expect(results.map((r) => [r.key, r.remaining])).toEqual([
      [env.KMS_KEY_USER_TOKENS, 0],
      [env.KMS_KEY_APP_CREDENTIALS, 0],
    ]);
    expect(results[0]).toMatchObject({ targetVersion: target, processed: 5 + 4 * 2 });

    const all = await everyEnvelope(db);
    expect(all.length).toBe(5 + 4 * 2 + issued.length);
    const latest = { [env.KMS_KEY_USER_TOKENS]: target, [env.KMS_KEY_APP_CREDENTIALS]: (await kms.keyInfo(env.KMS_KEY_APP_CREDENTIALS)).latestVersion };
    for (const { where, env: e } of all) expect({ where, kv: e.kv, wk: e.wk.slice(0, 9) }).toEqual({ where, kv: latest[e.k], wk: `vault:v${latest[e.k]}:` });

    await operator(`${mount}/keys/${env.KMS_KEY_USER_TOKENS}/config`, { min_decryption_version: target });
    envelopes.cache.clear();
    for (let i = 0; i < 5; i++) expect(await store.get(`client-x/rw-user-${i}`)).toEqual({ token: `tok-${suffix}-${i}`, secret: `sec-${suffix}-${i}` });
    for (let i = 0; i < 4; i++) {
      const doc = await pending.findOne({ _id: `rt-${suffix}-${i}` as never });
      expect(await envelopes.decrypt({ collection: 'oauth_pending', recordId: `rt-${suffix}-${i}` }, doc!.enc)).toEqual({ oauth_token_secret: `rts-${i}` });
      expect(await envelopes.decrypt({ collection: 'oauth_pending.verifier', recordId: `rt-${suffix}-${i}` }, doc!.verifier_enc)).toEqual({ oauth_verifier: `v-${i}` });
    }
  });
});
