import { getConnectionToken } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import { SecurityEvents } from '../../src/security-events/security-events.service';
import { ApiKeyAdmin } from '../../src/auth/api-key.admin';
import { ApiKeyIssuer, KeyRotationConflictProblem, ROTATION_CLAIM_LEASE_MS } from '../../src/auth/api-key.issuer';
import { ApiKeyRepository } from '../../src/auth/api-key.repository';
import { ApiKeyVerifier } from '../../src/auth/api-key.verifier';
import type { IssuedApiKey } from '../../src/auth/api-key.view';
import { VerificationFailed } from '../../src/auth/auth.errors';
import { AUTH_TEST_ENV, createApiKey } from '../support/factories/api-key.factory';
import { startTestApp, type TestApp } from '../support/test-app';

const reason = (p: Promise<unknown>) => p.then(() => 'ok', (e) => (e instanceof VerificationFailed ? e.reason : String(e)));

/**
 * Rotation as compare-and-set against the real FerretDB: concurrent rotations of one key, a rotation working
 * from a stale read, claims left by a crashed rotation, keys written before secret_version existed.
 */
describe('API key rotation races (real FerretDB)', () => {
  let t: TestApp;
  let issuer: ApiKeyIssuer;
  let admin: ApiKeyAdmin;
  let verifier: ApiKeyVerifier;
  let repo: ApiKeyRepository;
  let db: Connection;

  beforeAll(async () => {
    t = await startTestApp({ env: AUTH_TEST_ENV });
    issuer = t.app.get(ApiKeyIssuer);
    admin = t.app.get(ApiKeyAdmin);
    verifier = t.app.get(ApiKeyVerifier);
    repo = t.app.get(ApiKeyRepository, { strict: false });
    db = t.app.get<Connection>(getConnectionToken());
  });
  afterEach(() => jest.restoreAllMocks());
  afterAll(async () => {
    await t?.close();
  });

  /** Holds every rotation after its read of the key until `parties` reads happened: they all read the same record. */
  function everyoneReadsFirst(parties: number): void {
    const original = repo.findById.bind(repo);
    let arrived = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    jest.spyOn(repo, 'findById').mockImplementation(async (id: string) => {
      const record = await original(id);
      if (++arrived === parties) release();
      await gate;
      return record;
    });
  }

  /** Holds the first read of the key until the returned function is called; later reads pass. */
  function holdFirstRead(): () => void {
    const original = repo.findById.bind(repo);
    let held = false;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    jest.spyOn(repo, 'findById').mockImplementation(async (id: string) => {
      const record = await original(id);
      if (!held) {
        held = true;
        await gate;
      }
      return record;
    });
    return release;
  }

  const rotatedEvents = async (keyId: string) => (await t.app.get(SecurityEvents).recent(/^auth\.key\.rotated$/, 500)).filter((e) => e.target === keyId);
  const rotations = (keyId: string) => db.collection('api_key_rotations').find({ key_id: keyId }).toArray();

  async function expectOnlyWinnerWorks(key: IssuedApiKey, winner: IssuedApiKey): Promise<void> {
    expect(await reason(verifier.verifyApiKey(winner.api_key))).toBe('ok');
    verifier.forget(key.key_id);
    expect((await verifier.signingSecretsFor(key.key_id)).secrets[0]).toBe(winner.signing_secret);
    const stored = await db.collection('api_keys').findOne({ key_id: key.key_id });
    expect(stored?.secret_version).toBe(1);
    expect(await rotatedEvents(key.key_id)).toHaveLength(1);
  }

  it.each([2, 4])('%i rotations racing on one key (all read it before any writes): exactly one wins, the others get 409 and no secret', async (parties) => {
    const key = await createApiKey(t.app);
    everyoneReadsFirst(parties);
    // Grace 0, so the grace-period rule cannot be what refuses the losers: only the race is decided here.
    const results = await Promise.allSettled(Array.from({ length: parties }, () => issuer.rotate(key.key_id, 'test', 0)));
    jest.restoreAllMocks();

    const won = results.filter((r): r is PromiseFulfilledResult<IssuedApiKey> => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(parties - 1);
    for (const l of lost) {
      expect(l.reason).toBeInstanceOf(KeyRotationConflictProblem);
      expect((l.reason as KeyRotationConflictProblem).getStatus()).toBe(409);
      expect((l.reason as KeyRotationConflictProblem).extensions).toMatchObject({ reason: 'concurrent-rotation' });
    }
    await expectOnlyWinnerWorks(key, won[0].value);
    expect(await reason(verifier.verifyApiKey(key.api_key))).toBe('wrong-secret');
  });

  it('a rotation that read the key before another rotation finished gets 409; the finished one\'s secret keeps working', async () => {
    const key = await createApiKey(t.app);
    const release = holdFirstRead();
    const slow = issuer.rotate(key.key_id, 'test', 0).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 50));
    const fast = await issuer.rotate(key.key_id, 'test', 0);
    release();
    const outcome = await slow;
    expect(outcome).toBeInstanceOf(KeyRotationConflictProblem);
    await expectOnlyWinnerWorks(key, fast);
  });

  it('the write itself is a compare-and-set: with the first claim past its lease, the stale rotation still gets 409', async () => {
    const key = await createApiKey(t.app);
    const release = holdFirstRead();
    const slow = issuer.rotate(key.key_id, 'test', 0).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 50));
    const fast = await issuer.rotate(key.key_id, 'test', 0);
    // The winner's claim looks abandoned (older than the lease), so the stale rotation gets a claim of its own
    // and reaches the write, which must refuse it because the record is no longer the one it read.
    await db
      .collection('api_key_rotations')
      .updateOne({ _id: `${key.key_id}:1:0` as never }, { $set: { claimed_at: new Date(Date.now() - 2 * ROTATION_CLAIM_LEASE_MS) } });
    release();
    const outcome = await slow;
    expect(outcome).toBeInstanceOf(KeyRotationConflictProblem);
    expect((await rotations(key.key_id)).map((c) => c._id).sort()).toEqual([`${key.key_id}:1:0`, `${key.key_id}:1:1`]);
    await expectOnlyWinnerWorks(key, fast);
  });

  it('a claim left by a crashed rotation blocks other rotations only for its lease', async () => {
    const key = await createApiKey(t.app);
    const claims = db.collection('api_key_rotations');
    await claims.insertOne({ _id: `${key.key_id}:1:0` as never, key_id: key.key_id, secret_version: 1, actor: 'crashed', claimed_at: new Date() });
    await expect(issuer.rotate(key.key_id, 'test', 0)).rejects.toBeInstanceOf(KeyRotationConflictProblem);
    await claims.updateOne({ _id: `${key.key_id}:1:0` as never }, { $set: { claimed_at: new Date(Date.now() - ROTATION_CLAIM_LEASE_MS - 1000) } });
    const rotated = await issuer.rotate(key.key_id, 'test', 0);
    expect(await reason(verifier.verifyApiKey(rotated.api_key))).toBe('ok');
    expect((await db.collection('api_keys').findOne({ key_id: key.key_id }))?.secret_version).toBe(1);
  });

  it('a key stored before secret_version existed rotates once, then compare-and-sets on version 1', async () => {
    const key = await createApiKey(t.app);
    await db.collection('api_keys').updateOne({ key_id: key.key_id }, { $unset: { secret_version: 1 } });
    expect(await repo.replaceSecrets(key.key_id, 0, { name: 'must not be written' })).toBeNull();
    const rotated = await issuer.rotate(key.key_id, 'test', 0);
    expect((await db.collection('api_keys').findOne({ key_id: key.key_id }))?.secret_version).toBe(1);
    expect(await repo.replaceSecrets(key.key_id, undefined, { name: 'must not be written' })).toBeNull();
    expect(await reason(verifier.verifyApiKey(rotated.api_key))).toBe('ok');
  });

  it('with the default grace, a second rotation is refused (409 grace-period-running) and both issued secrets keep working', async () => {
    const key = await createApiKey(t.app);
    const first = await issuer.rotate(key.key_id, 'test');
    const second = await issuer.rotate(key.key_id, 'test').catch((e: unknown) => e);
    expect(second).toBeInstanceOf(KeyRotationConflictProblem);
    expect((second as KeyRotationConflictProblem).extensions).toMatchObject({ reason: 'grace-period-running' });
    expect(await reason(verifier.verifyApiKey(key.api_key))).toBe('ok');
    expect(await reason(verifier.verifyApiKey(first.api_key))).toBe('ok');
  });

  it('a rotation racing a revoke never hands out a secret for the revoked key', async () => {
    const key = await createApiKey(t.app);
    const release = holdFirstRead();
    const rotation = issuer.rotate(key.key_id, 'test', 0).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 50));
    await admin.revoke(key.key_id, 'test');
    release();
    const outcome = await rotation;
    expect(outcome).not.toHaveProperty('api_key');
    expect((outcome as { getStatus(): number }).getStatus()).toBe(404);
    expect((await db.collection('api_keys').findOne({ key_id: key.key_id }))?.status).toBe('revoked');
  });
});
