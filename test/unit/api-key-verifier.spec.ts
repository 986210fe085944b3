import bcrypt from 'bcrypt';
import * as format from '../../src/auth/api-key.format';
import type { ApiKeyRepository } from '../../src/auth/api-key.repository';
import type { ApiKeyRecord } from '../../src/auth/api-key.schema';
import { ApiKeyVerifier } from '../../src/auth/api-key.verifier';
import { AuthConfig } from '../../src/auth/auth.config';
import { VerificationFailed } from '../../src/auth/auth.errors';
import type { SigningSecretSealer } from '../../src/auth/signing-secret.sealer';

const NOW = 1_700_000_000_000;
const KEY_ID = 'abcdefghijk2';
const SECRET = 'S'.repeat(43);
const API_KEY = format.formatApiKey(KEY_ID, SECRET);

/** ApiKeyVerifier alone: the repository, sealer (KMS), bus (Redis) and metrics replaced. */
async function setup(clock: () => number = () => NOW) {
  const record: ApiKeyRecord = {
    key_id: KEY_ID,
    client_id: 'c',
    role: 'client',
    name: 'n',
    status: 'active',
    secret_hash: await bcrypt.hash(SECRET, 4),
    signing: {} as ApiKeyRecord['signing'],
    ip_allowlist: [],
    created_at: new Date(NOW),
    updated_at: new Date(NOW),
  };
  const calls = { findById: 0, open: 0 };
  // What the database holds for the key from now on (e.g. revoked), for lookups made after the change.
  const changes: Partial<ApiKeyRecord> = {};
  // Each lookup can be held back by the test (a read still in flight when a revoke happens).
  let gate: Promise<void> = Promise.resolve();
  const repo = {
    findById: async (id: string) => {
      calls.findById++;
      await gate;
      return id === KEY_ID ? { ...record, ...changes } : null;
    },
  } as unknown as ApiKeyRepository;
  const sealer = {
    open: async () => {
      calls.open++;
      return { current: 'fgws_current' };
    },
  } as unknown as SigningSecretSealer;
  const listeners: Array<(id: string) => void> = [];
  const bus = { onChange: (l: (id: string) => void) => listeners.push(l) };
  const lookups: boolean[] = [];
  const metrics = { cacheLookup: (hit: boolean) => lookups.push(hit) };
  const config = Object.assign(new AuthConfig(), { AUTH_VERIFY_CACHE_TTL_MS: 60_000 });
  const verifier = new ApiKeyVerifier(repo, sealer, bus as any, metrics as any, config, clock);
  verifier.onModuleInit();
  return {
    verifier,
    record,
    changes,
    calls,
    lookups,
    announce: (id: string) => listeners.forEach((l) => l(id)),
    hold: () => {
      let release!: () => void;
      gate = new Promise((r) => (release = r));
      return release;
    },
  };
}

const reason = (p: Promise<unknown>) => p.then(() => 'ok', (e) => (e instanceof VerificationFailed ? e.reason : String(e)));

afterEach(() => jest.restoreAllMocks());

describe('ApiKeyVerifier (adapters replaced)', () => {
  it('hashes the presented key once per request: the guard identifies it, recentlyVerified and Passport reuse it', async () => {
    const { verifier } = await setup();
    const hash = jest.spyOn(format, 'cacheKeyOf');
    // One request as ClientAuthGuard runs it: identify, brute-force pre-check, then Passport's strategy (verifyApiKey(string)).
    const request = async () => {
      const presented = verifier.identify(API_KEY);
      const recent = verifier.recentlyVerified({ apiKey: presented });
      const principal = await verifier.withIdentified(presented, () => verifier.verifyApiKey(API_KEY));
      return { recent, principal };
    };
    const first = await request();
    expect(first).toMatchObject({ recent: false, principal: { keyId: KEY_ID, method: 'api-key' } });
    expect(hash).toHaveBeenCalledTimes(1);
    const second = await request();
    expect(second.recent).toBe(true);
    expect(hash).toHaveBeenCalledTimes(2);
  });

  it('hashes again when Passport verifies a value other than the identified one (never trusts a mismatched identification)', async () => {
    const { verifier } = await setup();
    const other = format.formatApiKey(KEY_ID, 'T'.repeat(43));
    const presented = verifier.identify(API_KEY);
    expect(await reason(verifier.withIdentified(presented, () => verifier.verifyApiKey(other)))).toBe('wrong-secret');
    // Outside withIdentified a string is identified on its own.
    expect(await reason(verifier.verifyApiKey(API_KEY))).toBe('ok');
  });

  it('identifies only well-formed keys, and refuses the rest as malformed without a lookup', async () => {
    const { verifier, calls } = await setup();
    const hash = jest.spyOn(format, 'cacheKeyOf');
    expect(verifier.identify('fgw_short')).toBeUndefined();
    expect(verifier.recentlyVerified({ apiKey: verifier.identify('nope') })).toBe(false);
    expect(await reason(verifier.verifyApiKey('fgw_short'))).toBe('malformed');
    expect(hash).not.toHaveBeenCalled();
    expect(calls.findById).toBe(0);
  });

  it('a success is served from the cache (counted as a hit) until the key changes on the bus', async () => {
    const { verifier, calls, lookups, announce } = await setup();
    await verifier.verifyApiKey(API_KEY);
    await verifier.verifyApiKey(API_KEY);
    expect(calls.findById).toBe(1);
    expect(lookups).toEqual([false, true]);
    announce(KEY_ID);
    expect(verifier.recentlyVerified({ apiKey: verifier.identify(API_KEY) })).toBe(false);
    await verifier.verifyApiKey(API_KEY);
    expect(calls.findById).toBe(2);
  });

  it('does not cache a verification that raced an invalidation of its key', async () => {
    const { verifier, calls, hold } = await setup();
    const release = hold();
    const inFlight = verifier.verifyApiKey(API_KEY);
    verifier.forget(KEY_ID);
    release();
    expect(await reason(inFlight)).toBe('ok');
    expect(verifier.recentlyVerified({ apiKey: verifier.identify(API_KEY) })).toBe(false);
    await verifier.verifyApiKey(API_KEY);
    expect(calls.findById).toBe(2);
  });

  it('opens signing secrets once per TTL for HMAC, counts that key id as recently verified, and forgets it on change', async () => {
    const { verifier, calls, announce } = await setup();
    expect(verifier.recentlyVerified({ hmacKeyId: KEY_ID })).toBe(false);
    const first = await verifier.signingSecretsFor(KEY_ID);
    expect(first).toMatchObject({ principal: { keyId: KEY_ID, method: 'hmac' }, secrets: ['fgws_current'] });
    await verifier.signingSecretsFor(KEY_ID);
    expect(calls.open).toBe(1);
    expect(verifier.recentlyVerified({ hmacKeyId: KEY_ID })).toBe(true);
    announce(KEY_ID);
    expect(verifier.recentlyVerified({ hmacKeyId: KEY_ID })).toBe(false);
    expect(await reason(verifier.signingSecretsFor('unknownkey22'))).toBe('unknown-key');
  });

  it('single flight: concurrent requests of one key whose entry is missing share one lookup and one bcrypt', async () => {
    const { verifier, calls, hold } = await setup();
    const compare = jest.spyOn(bcrypt, 'compare');
    const release = hold();
    const all = Promise.all(Array.from({ length: 20 }, () => verifier.verifyApiKey(API_KEY)));
    release();
    expect((await all).every((p) => p.keyId === KEY_ID)).toBe(true);
    expect({ lookups: calls.findById, bcrypt: compare.mock.calls.length }).toEqual({ lookups: 1, bcrypt: 1 });
  });

  it('refresh-ahead: in the last fifth of its life an entry is still served while one background verification renews it', async () => {
    let now = NOW;
    const { verifier, calls, changes } = await setup(() => now);
    await verifier.verifyApiKey(API_KEY);
    now = NOW + 30_000; // mid-life: no refresh
    await verifier.verifyApiKey(API_KEY);
    expect(calls.findById).toBe(1);
    now = NOW + 50_000; // last fifth: served at once, renewed once in the background
    await Promise.all([verifier.verifyApiKey(API_KEY), verifier.verifyApiKey(API_KEY)]);
    await new Promise((r) => setImmediate(r));
    expect(calls.findById).toBe(2);
    now = NOW + 90_000; // past the first entry's life, mid-life of the renewed one (made at NOW + 50 s): it serves
    await verifier.verifyApiKey(API_KEY);
    expect(calls.findById).toBe(2);
    // A renewal that finds the key revoked drops the entry: the next request verifies and is refused.
    changes.status = 'revoked';
    now = NOW + 100_000; // the renewed entry's last fifth
    expect(await reason(verifier.verifyApiKey(API_KEY))).toBe('ok');
    await new Promise((r) => setImmediate(r));
    expect(calls.findById).toBe(3);
    expect(await reason(verifier.verifyApiKey(API_KEY))).toBe('revoked');
  });

  it('a renewal re-reads the key but runs no bcrypt while the stored hash is the one this secret matched', async () => {
    let now = NOW;
    const { verifier, calls } = await setup(() => now);
    const compare = jest.spyOn(bcrypt, 'compare');
    await verifier.verifyApiKey(API_KEY);
    expect(compare).toHaveBeenCalledTimes(1);
    for (const at of [50_000, 100_000, 150_000]) {
      now = NOW + at; // the last fifth of the current entry's life each time: renewed in the background
      await verifier.verifyApiKey(API_KEY);
      await new Promise((r) => setImmediate(r));
    }
    expect({ lookups: calls.findById, bcrypt: compare.mock.calls.length }).toEqual({ lookups: 4, bcrypt: 1 });
    // Still the key's cache entry: served without a lookup in mid-life.
    now = NOW + 160_000;
    await verifier.verifyApiKey(API_KEY);
    expect(calls.findById).toBe(4);
  });

  it('a renewal after a rotation it was not told of checks the new hash with bcrypt, keeps the old secret only for its grace period', async () => {
    let now = NOW;
    const { verifier, record, changes } = await setup(() => now);
    await verifier.verifyApiKey(API_KEY);
    const compare = jest.spyOn(bcrypt, 'compare');
    // Rotated on another replica whose bus message never arrived: a new hash, the old one kept until NOW + 70 s.
    Object.assign(changes, { secret_hash: await bcrypt.hash('N'.repeat(43), 4), previous_secret_hash: record.secret_hash, previous_valid_until: new Date(NOW + 70_000) });
    now = NOW + 50_000;
    await verifier.verifyApiKey(API_KEY);
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setTimeout(r, 50));
    // bcrypt ran against the new hash (no match); the old secret matched the previous hash it was verified against.
    expect(compare).toHaveBeenCalledTimes(1);
    now = NOW + 69_000;
    expect(await reason(verifier.verifyApiKey(API_KEY))).toBe('ok');
    await new Promise((r) => setTimeout(r, 50)); // its renewal (the entry is in its last fifth) done
    // The renewed entry ends with the grace period: afterwards the old secret is refused.
    now = NOW + 70_001;
    expect(await reason(verifier.verifyApiKey(API_KEY))).toBe('wrong-secret');
  });

  it('a renewal after the hash changed with no grace drops the entry; another secret of the same key id never borrows a verification', async () => {
    let now = NOW;
    const { verifier, changes } = await setup(() => now);
    await verifier.verifyApiKey(API_KEY);
    // Another secret under the same key id: its own cache name, so a full check, refused.
    expect(await reason(verifier.verifyApiKey(format.formatApiKey(KEY_ID, 'W'.repeat(43))))).toBe('wrong-secret');
    changes.secret_hash = await bcrypt.hash('N'.repeat(43), 4);
    now = NOW + 50_000;
    expect(await reason(verifier.verifyApiKey(API_KEY))).toBe('ok'); // served while the renewal runs
    await new Promise((r) => setTimeout(r, 50));
    expect(await reason(verifier.verifyApiKey(API_KEY))).toBe('wrong-secret');
  });
});
