import { EnvelopeService } from '../../src/kms/envelope.service';
import type { Envelope, SealedField } from '../../src/kms/envelope';
import { KmsConfig } from '../../src/kms/kms.config';
import { DecryptionFailedError } from '../../src/kms/kms.errors';
import { loadSlice } from '../../src/config/env.validation';
import { LocalKmsProvider } from '../../src/kms/local.kms-provider';

const ctx = { collection: 'tokens', recordId: 'user-1' };
const secrets = { oauth_token: '72157720000000000-abcdef0123456789', oauth_token_secret: 'f00dfacecafebeef' };

function flip(buf: Buffer, i: number): Buffer {
  const copy = Buffer.from(buf);
  copy[i] ^= 0x01;
  return copy;
}

function withField(env: Envelope, field: string, patch: Partial<SealedField>): Envelope {
  return { ...env, fields: { ...env.fields, [field]: { ...env.fields[field], ...patch } } };
}

/** Decrypting must throw DecryptionFailedError; any return value (even the right one) fails the test. */
async function expectRefused(service: EnvelopeService, envelope: Envelope, context = ctx): Promise<void> {
  let result: unknown;
  try {
    result = await service.decrypt(context, envelope);
  } catch (error) {
    expect(error).toBeInstanceOf(DecryptionFailedError);
    return;
  }
  throw new Error(`decrypt returned ${JSON.stringify(result)} instead of failing`);
}

describe('envelope encryption with the local provider', () => {
  const config = loadSlice(KmsConfig, { KMS_DATA_KEY_CACHE_MAX_ENTRIES: '0' });
  let kms: LocalKmsProvider;
  let service: EnvelopeService;
  let envelope: Envelope;

  beforeEach(async () => {
    kms = new LocalKmsProvider(new Map());
    service = new EnvelopeService(kms, config);
    envelope = await service.encrypt('user-tokens', ctx, secrets);
  });

  it('round-trips and stores the self-describing format without plaintext', async () => {
    expect(envelope).toMatchObject({ f: 1, p: 'local', k: 'fgw-user-tokens', kv: 1 });
    expect(envelope.wk).toMatch(/^local:v1:/);
    expect(JSON.stringify(envelope)).not.toContain(secrets.oauth_token);
    expect(await service.decrypt(ctx, envelope)).toEqual(secrets);
  });

  it('uses a fresh salt and IV per field and record', async () => {
    const again = await service.encrypt('user-tokens', ctx, secrets);
    expect(again.fields.oauth_token.s.equals(envelope.fields.oauth_token.s)).toBe(false);
    expect(again.fields.oauth_token.iv.equals(envelope.fields.oauth_token.iv)).toBe(false);
    expect(again.fields.oauth_token.ct.equals(envelope.fields.oauth_token.ct)).toBe(false);
  });

  for (const part of ['ct', 'iv', 's', 't'] as const) {
    it(`refuses every single-bit flip of the ${part}`, async () => {
      const original = envelope.fields.oauth_token_secret[part];
      for (let i = 0; i < original.length; i++) {
        await expectRefused(service, withField(envelope, 'oauth_token_secret', { [part]: flip(original, i) }));
      }
    });
  }

  it('refuses every single-byte change of the wrapped data key', async () => {
    const wk = envelope.wk;
    for (let i = 0; i < wk.length; i++) {
      const c = wk.charCodeAt(i);
      const replacement = String.fromCharCode(c === 65 ? 66 : 65);
      await expectRefused(service, { ...envelope, wk: wk.slice(0, i) + replacement + wk.slice(i + 1) });
    }
  });

  it('refuses a ciphertext moved to another record, another field, or a different key name', async () => {
    await expectRefused(service, envelope, { collection: 'tokens', recordId: 'user-2' });
    await expectRefused(service, envelope, { collection: 'other', recordId: 'user-1' });
    const swapped = { ...envelope, fields: { oauth_token: envelope.fields.oauth_token_secret, oauth_token_secret: envelope.fields.oauth_token } };
    await expectRefused(service, swapped);
    await expectRefused(service, { ...envelope, k: 'fgw-app-credentials' });
    // A whole envelope from another record, with its own valid wrapped key, still fails here.
    const other = await service.encrypt('user-tokens', { collection: 'tokens', recordId: 'user-2' }, secrets);
    await expectRefused(service, other);
  });

  it('refuses truncated fields and unknown formats', async () => {
    await expectRefused(service, withField(envelope, 'oauth_token', { t: envelope.fields.oauth_token.t.subarray(0, 12) }));
    await expectRefused(service, withField(envelope, 'oauth_token', { ct: envelope.fields.oauth_token.ct.subarray(1) }));
    await expectRefused(service, { ...envelope, f: 2 as 1 });
  });

  it('keeps user tokens and app credentials under different keys', async () => {
    const app = await service.encrypt('app-credentials', { collection: 'apps', recordId: 'a1' }, { consumer_secret: 'shh' });
    expect(app.k).toBe('fgw-app-credentials');
    // The user-token KEK cannot unwrap an app-credential data key.
    await expect(kms.unwrapDataKey('fgw-user-tokens', app.wk)).rejects.toBeInstanceOf(DecryptionFailedError);
  });

  it('rotation: new records use the new version, old ones still decrypt, rewrap moves them without changing plaintext', async () => {
    await kms.rotateKey('fgw-user-tokens');
    service.forgetWriterKey('fgw-user-tokens');
    const fresh = await service.encrypt('user-tokens', ctx, secrets);
    expect(fresh.kv).toBe(2);
    expect(await service.decrypt(ctx, envelope)).toEqual(secrets);
    const [rewrapped] = await kms.rewrapDataKeys('fgw-user-tokens', [envelope.wk]);
    expect(rewrapped.keyVersion).toBe(2);
    expect(await service.decrypt(ctx, { ...envelope, wk: rewrapped.wrapped, kv: 2 })).toEqual(secrets);
    kms.setMinDecryptionVersion('fgw-user-tokens', 2);
    await expectRefused(service, envelope);
  });

  it('reuses one data key for many records within KMS_DATA_KEY_MAX_USES', async () => {
    const generate = jest.spyOn(kms, 'generateDataKey');
    const limited = new EnvelopeService(kms, loadSlice(KmsConfig, { KMS_DATA_KEY_MAX_USES: '3' }));
    const wks = [];
    for (let i = 0; i < 7; i++) wks.push((await limited.encrypt('user-tokens', { collection: 'tokens', recordId: `u${i}` }, secrets)).wk);
    expect(generate).toHaveBeenCalledTimes(3);
    expect(new Set(wks).size).toBe(3);
  });
});
