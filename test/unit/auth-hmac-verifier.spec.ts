import type { FastifyRequest } from 'fastify';
import type { ApiKeyVerifier } from '../../src/auth/api-key.verifier';
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
  const verifier = new HmacVerifier(keys as unknown as ApiKeyVerifier, nonces as unknown as NonceStore, new AuthConfig(), () => NOW);
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

/**
 * The nonce store replaced by one with Redis's `SET … EX ttl NX` semantics on the verifier's injected clock: a key
 * claimed at t with ttl s exists until t + s·1000 ms (exclusive), so the lifetime the verifier asks for is what
 * decides whether a late replay is caught.
 */
describe('HmacVerifier nonce retention (injected clock)', () => {
  const SKEW = new AuthConfig().AUTH_HMAC_MAX_SKEW_SECONDS;

  function clocked() {
    let now = 0;
    const expiresAt = new Map<string, number>();
    const ttls: number[] = [];
    const nonces = {
      claim: async (keyId: string, nonce: string, ttlSeconds: number) => {
        ttls.push(ttlSeconds);
        const k = `${keyId}:${nonce}`;
        if ((expiresAt.get(k) ?? -Infinity) > now) return false;
        expiresAt.set(k, now + ttlSeconds * 1000);
        return true;
      },
    };
    const keys = { signingSecretsFor: async () => ({ principal: { keyId: KEY_ID }, secrets: [SECRET] }) };
    const verifier = new HmacVerifier(keys as unknown as ApiKeyVerifier, nonces as unknown as NonceStore, new AuthConfig(), () => now);
    return { verifier, ttls, at: (ms: number) => (now = ms) };
  }

  const ts = NOW / 1000;
  const nonce = 'edge-nonce-0123456789';
  const headers = signedHeaders({ keyId: KEY_ID, signingSecret: SECRET, method: 'GET', url: '/v1/x?a=1', timestamp: ts, nonce });

  it('refuses a replay at the last millisecond the timestamp is acceptable, after a first use at the earliest one', async () => {
    const c = clocked();
    // Earliest instant the timestamp is accepted: the clock (in whole seconds) reads ts - skew.
    c.at((ts - SKEW) * 1000);
    expect(await reason(c.verifier.verify(request(headers)))).toBe('ok');
    // Latest instant it is still accepted: the clock reads ts + skew, 999 ms into that second.
    c.at((ts + SKEW) * 1000 + 999);
    expect(await reason(c.verifier.verify(request(headers)))).toBe('replayed-nonce');
    // One millisecond later the timestamp itself is refused, whatever the nonce store says.
    c.at((ts + SKEW + 1) * 1000);
    expect(await reason(c.verifier.verify(request(headers)))).toBe('clock-skew');
    // The lifetime asked of Redis is longer than the acceptance window of 2 × skew + 1 seconds.
    expect(c.ttls[0]).toBeGreaterThanOrEqual(2 * SKEW + 1);
  });

  it('refuses a replay at every whole second of the window after a first use at its start', async () => {
    const c = clocked();
    c.at((ts - SKEW) * 1000);
    expect(await reason(c.verifier.verify(request(headers)))).toBe('ok');
    for (let s = ts - SKEW; s <= ts + SKEW; s += 1) {
      c.at(s * 1000 + 999);
      expect({ s: s - ts, r: await reason(c.verifier.verify(request(headers))) }).toEqual({ s: s - ts, r: 'replayed-nonce' });
    }
  });
});
