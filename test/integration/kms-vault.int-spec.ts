import { randomBytes } from 'node:crypto';
import { loadSlice } from '../../src/config/env.validation';
import type { Envelope } from '../../src/kms/envelope';
import { EnvelopeService } from '../../src/kms/envelope.service';
import { KmsConfig } from '../../src/kms/kms.config';
import { DecryptionFailedError } from '../../src/kms/kms.errors';
import { createKmsProvider } from '../../src/kms/kms.module';
import { VaultTransitKmsProvider } from '../../src/kms/vault-transit.kms-provider';
import { createTransitKeys, useOpenBao } from './kms-env';

const suffix = randomBytes(4).toString('hex');
useOpenBao(suffix);
const config = loadSlice(KmsConfig, process.env);
const ctx = { collection: 'tokens', recordId: 'nsid-1@N00' };
const secrets = { oauth_token: `tok-${suffix}-plain`, oauth_token_secret: `sec-${suffix}-plain` };

async function expectRefused(p: Promise<unknown>): Promise<void> {
  const outcome = await p.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  expect(outcome).toEqual({ error: expect.any(DecryptionFailedError) });
}

describe('VaultTransitKmsProvider against a real OpenBao', () => {
  let kms: VaultTransitKmsProvider;
  let service: EnvelopeService;

  beforeAll(async () => {
    await createTransitKeys(config);
    kms = createKmsProvider(config, { NODE_ENV: 'test' }) as VaultTransitKmsProvider;
    expect(kms).toBeInstanceOf(VaultTransitKmsProvider);
    // No cache: every decrypt below goes to OpenBao.
    service = new EnvelopeService(kms, loadSlice(KmsConfig, { ...process.env, KMS_DATA_KEY_CACHE_MAX_ENTRIES: '0' }));
  });

  it('answers the health check', async () => {
    await expect(kms.ping()).resolves.toBeUndefined();
  });

  it('round-trips through transit datakey + decrypt', async () => {
    const envelope = await service.encrypt('user-tokens', ctx, secrets);
    expect(envelope).toMatchObject({ f: 1, p: 'vault', k: config.KMS_KEY_USER_TOKENS, kv: 1 });
    expect(envelope.wk).toMatch(/^vault:v1:/);
    expect(await service.decrypt(ctx, envelope)).toEqual(secrets);
  });

  it('refuses altered wrapped keys, ciphertexts and moved records, never returning plaintext', async () => {
    const envelope = await service.encrypt('user-tokens', ctx, secrets);
    const body = envelope.wk.slice('vault:v1:'.length);
    const raw = Buffer.from(body, 'base64');
    // A sample of byte positions across nonce, ciphertext and tag of the wrapped key (every byte would be ~60 round trips).
    for (const i of [0, 5, 11, 12, 20, 40, raw.length - 17, raw.length - 1]) {
      const altered = Buffer.from(raw);
      altered[i] ^= 0x80;
      await expectRefused(service.decrypt(ctx, { ...envelope, wk: `vault:v1:${altered.toString('base64')}` }));
    }
    const flipped = Buffer.from(envelope.fields.oauth_token.ct);
    flipped[0] ^= 1;
    await expectRefused(service.decrypt(ctx, { ...envelope, fields: { ...envelope.fields, oauth_token: { ...envelope.fields.oauth_token, ct: flipped } } }));
    await expectRefused(service.decrypt({ collection: 'tokens', recordId: 'nsid-2@N00' }, envelope));
  });

  it('keeps user-token and app-credential keys apart', async () => {
    const app = await service.encrypt('app-credentials', { collection: 'apps', recordId: 'app-1' }, { consumer_secret: 'x' });
    expect(app.k).toBe(config.KMS_KEY_APP_CREDENTIALS);
    await expectRefused(kms.unwrapDataKey(config.KMS_KEY_USER_TOKENS, app.wk));
  });

  it('rotates, rewraps without exposing the data key, and honours min_decryption_version', async () => {
    const old: Envelope = await service.encrypt('user-tokens', ctx, secrets);
    const info = await kms.rotateKey(config.KMS_KEY_USER_TOKENS);
    expect(info.latestVersion).toBe(old.kv + 1);
    service.forgetWriterKey(config.KMS_KEY_USER_TOKENS);
    expect((await service.encrypt('user-tokens', ctx, secrets)).kv).toBe(info.latestVersion);

    const [rewrapped] = await kms.rewrapDataKeys(config.KMS_KEY_USER_TOKENS, [old.wk]);
    expect(rewrapped.keyVersion).toBe(info.latestVersion);
    expect(rewrapped.wrapped).toMatch(new RegExp(`^vault:v${info.latestVersion}:`));
    const moved = { ...old, wk: rewrapped.wrapped, kv: rewrapped.keyVersion };
    expect(await service.decrypt(ctx, moved)).toEqual(secrets);

    await kms.setMinDecryptionVersion(config.KMS_KEY_USER_TOKENS, info.latestVersion);
    expect((await kms.keyInfo(config.KMS_KEY_USER_TOKENS)).minDecryptionVersion).toBe(info.latestVersion);
    await expectRefused(service.decrypt(ctx, old));
    expect(await service.decrypt(ctx, moved)).toEqual(secrets);
  });

  it('reports an unreachable Vault as unavailable, not as a decryption failure', async () => {
    const dead = createKmsProvider(
      loadSlice(KmsConfig, { ...process.env, VAULT_ADDR: 'http://127.0.0.1:9', VAULT_MAX_RETRIES: '1', VAULT_REQUEST_TIMEOUT_MS: '500' }),
      { NODE_ENV: 'test' },
    );
    await expect(dead.generateDataKey(config.KMS_KEY_USER_TOKENS)).rejects.toMatchObject({ slug: 'kms-unavailable' });
  });
});
