import type { ApiKeyRecord } from '../../src/auth/api-key.schema';
import { SigningSecretSealer } from '../../src/auth/signing-secret.sealer';

/** SigningSecretSealer with the envelope service (KMS) replaced by one that records what it was asked. */
function setup() {
  const asked: Array<{ op: string; purpose?: string; ctx: unknown; fields?: Record<string, string> }> = [];
  const envelopes = {
    encrypt: async (purpose: string, ctx: unknown, fields: Record<string, string>) => {
      asked.push({ op: 'encrypt', purpose, ctx, fields });
      return { sealed: { ...fields }, ctx };
    },
    decrypt: async (ctx: unknown, env: { sealed: Record<string, string>; ctx: unknown }) => {
      asked.push({ op: 'decrypt', ctx });
      // The real service refuses an envelope opened under another record's context.
      if (JSON.stringify(ctx) !== JSON.stringify(env.ctx)) throw new Error('misplaced envelope');
      return env.sealed;
    },
  };
  return { sealer: new SigningSecretSealer(envelopes as any), asked };
}

const recordOf = (keyId: string, signing: unknown) => ({ key_id: keyId, signing }) as unknown as ApiKeyRecord;

describe('SigningSecretSealer (KMS replaced)', () => {
  it('seals under the app-credentials key, bound to the key record, and opens what it sealed', async () => {
    const { sealer, asked } = setup();
    const sealed = await sealer.seal('abcdefghijk2', { current: 'fgws_a', previous: 'fgws_b' });
    expect(asked[0]).toEqual({
      op: 'encrypt',
      purpose: 'app-credentials',
      ctx: { collection: 'api_keys', recordId: 'abcdefghijk2' },
      fields: { current: 'fgws_a', previous: 'fgws_b' },
    });
    expect(await sealer.open(recordOf('abcdefghijk2', sealed))).toEqual({ current: 'fgws_a', previous: 'fgws_b' });
  });

  it('seals no previous field when there is none, and opens it as absent', async () => {
    const { sealer, asked } = setup();
    const sealed = await sealer.seal('abcdefghijk2', { current: 'fgws_a' });
    expect(asked[0].fields).toEqual({ current: 'fgws_a' });
    expect(await sealer.open(recordOf('abcdefghijk2', sealed))).toEqual({ current: 'fgws_a', previous: undefined });
  });

  it('opens with the context of the record it is read from, so an envelope copied to another key does not open', async () => {
    const { sealer } = setup();
    const sealed = await sealer.seal('abcdefghijk2', { current: 'fgws_a' });
    await expect(sealer.open(recordOf('zzzzzzzzzzz2', sealed))).rejects.toThrow('misplaced envelope');
  });
});
