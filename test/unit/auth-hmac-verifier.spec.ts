import type { FastifyRequest } from 'fastify';
import type { ApiKeyService } from '../../src/auth/api-key.service';
import { AuthConfig } from '../../src/auth/auth.config';
import { VerificationFailed } from '../../src/auth/auth.errors';
import { HmacVerifier } from '../../src/auth/hmac.verifier';
import type { NonceStore } from '../../src/auth/nonce.store';
import { signedHeaders } from '../support/factories/signed-request';

const KEY_ID = 'abcdefghijkl';
const SECRET = 'fgws_unit-test-secret';
const NOW = 1_767_225_600_000;

function setup() {
  const claimed = new Set<string>();
  const nonces = { claim: async (k: string, n: string) => (claimed.has(`${k}:${n}`) ? false : (claimed.add(`${k}:${n}`), true)) };
  const keys = { signingSecretsFor: async () => ({ principal: { keyId: KEY_ID }, secrets: [SECRET] }) };
  const verifier = new HmacVerifier(keys as unknown as ApiKeyService, nonces as unknown as NonceStore, new AuthConfig(), () => NOW);
  return { verifier, claimed };
}

const request = (headers: Record<string, string>, url = '/v1/x?a=1', method = 'GET') =>
  ({ headers, method, url, raw: { url } }) as unknown as FastifyRequest;
const reason = (p: Promise<unknown>) => p.then(() => 'ok', (e) => (e instanceof VerificationFailed ? e.reason : String(e)));

describe('HmacVerifier (key store and nonce store replaced)', () => {
  const sign = (extra: { timestamp?: number; nonce?: string; secret?: string } = {}) =>
    signedHeaders({ keyId: KEY_ID, signingSecret: extra.secret ?? SECRET, method: 'GET', url: '/v1/x?a=1', timestamp: extra.timestamp ?? NOW / 1000, nonce: extra.nonce });

  it('accepts ±300 s and rejects ±301 s', async () => {
    const { verifier } = setup();
    expect(await reason(verifier.verify(request(sign({ timestamp: NOW / 1000 - 300 }))))).toBe('ok');
    expect(await reason(verifier.verify(request(sign({ timestamp: NOW / 1000 + 300 }))))).toBe('ok');
    expect(await reason(verifier.verify(request(sign({ timestamp: NOW / 1000 - 301 }))))).toBe('clock-skew');
    expect(await reason(verifier.verify(request(sign({ timestamp: NOW / 1000 + 301 }))))).toBe('clock-skew');
  });

  it('does not let a bad signature use up the nonce', async () => {
    const { verifier, claimed } = setup();
    const nonce = 'nonce-0123456789abcdef';
    expect(await reason(verifier.verify(request(sign({ nonce, secret: 'wrong' }))))).toBe('bad-signature');
    expect(claimed.size).toBe(0);
    expect(await reason(verifier.verify(request(sign({ nonce }))))).toBe('ok');
    expect(await reason(verifier.verify(request(sign({ nonce }))))).toBe('replayed-nonce');
  });

  it('rejects incomplete or malformed signing headers', async () => {
    const { verifier } = setup();
    const h = sign();
    const { ['x-fgw-nonce']: _omit, ...noNonce } = h;
    expect(await reason(verifier.verify(request(noNonce)))).toBe('malformed');
    expect(await reason(verifier.verify(request({ ...h, 'x-fgw-nonce': 'short' })))).toBe('malformed');
  });
});
