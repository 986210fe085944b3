import { randomBytes } from 'node:crypto';
import { getConnectionToken } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import { SecurityEvents } from '../../src/security-events/security-events.service';
import { EnvelopeService } from '../../src/kms/envelope.service';
import { KeyRotationService } from '../../src/kms/key-rotation.service';
import { KmsProvider } from '../../src/kms/kms.provider';
import { TokenRewrapJob } from '../../src/tokens/token-rewrap.job';
import { TokenStore } from '../../src/tokens/token.store';
import { startTestApp, type TestApp } from '../support/test-app';
import { createTransitKeys, useOpenBao } from './kms-env';

const suffix = randomBytes(4).toString('hex');
const env = useOpenBao(suffix);
const N = 230;
const plain = (i: number) => ({ token: `72157-${suffix}-token-${i}`, secret: `secret-${suffix}-${i}` });

/** TokenStore, the rewrap job and the stored format against real OpenBao and FerretDB. */
describe('token vault on OpenBao + FerretDB', () => {
  let t: TestApp;
  let store: TokenStore;
  let db: Connection;
  let kms: KmsProvider;
  let keyName: string;

  beforeAll(async () => {
    await createTransitKeys();
    // Small data-key reuse so the collection holds many distinct wrapped keys, like a long-running deployment.
    t = await startTestApp({ env: { ...env, KMS_DATA_KEY_MAX_USES: '7' } });
    store = t.app.get(TokenStore);
    db = t.app.get<Connection>(getConnectionToken());
    kms = t.app.get(KmsProvider);
    keyName = t.app.get(EnvelopeService).keyName('user-tokens');
    for (let i = 0; i < N; i++) await store.save(`user-${i}`, plain(i));
  });
  afterAll(async () => {
    await t?.close();
  });

  it('round-trips through TokenStore', async () => {
    expect(await store.get('user-3')).toEqual(plain(3));
    expect(await store.get('nobody')).toBeNull();
  });

  it('a raw BSON dump of tokens contains no token or secret bytes', async () => {
    const raw: Buffer[] = [];
    for await (const doc of db.db!.collection('tokens').find({}, { raw: true })) raw.push(Buffer.from(doc as unknown as Uint8Array));
    expect(raw).toHaveLength(N);
    const dump = Buffer.concat(raw);
    // Sanity check that the grep works: the user ids are stored in clear.
    expect(dump.includes(Buffer.from('user-17'))).toBe(true);
    for (let i = 0; i < N; i++) {
      const { token, secret } = plain(i);
      for (const needle of [token, secret, Buffer.from(token).toString('base64'), Buffer.from(secret).toString('base64'), Buffer.from(token).toString('hex')]) {
        expect(dump.includes(Buffer.from(needle))).toBe(false);
      }
    }
    // Only the wrapped form of data keys is stored: every document carries a vault:vN: ciphertext, nothing else key-like.
    const docs = await db.db!.collection('tokens').find({}).toArray();
    for (const d of docs) {
      expect(Object.keys(d).sort()).toEqual(['_id', 'created_at', 'enc', 'updated_at', 'user_id']);
      expect(Object.keys(d.enc).sort()).toEqual(['f', 'fields', 'k', 'kv', 'p', 'wk']);
      expect(d.enc.wk).toMatch(/^vault:v\d+:/);
    }
  });

  it('a ciphertext copied onto another record fails to decrypt instead of returning the other user’s token', async () => {
    const coll = db.db!.collection('tokens');
    const source = await coll.findOne({ user_id: 'user-1' });
    await store.save('victim', plain(999));
    await coll.updateOne({ user_id: 'victim' }, { $set: { enc: source!.enc } });
    await expect(store.get('victim')).rejects.toMatchObject({ name: 'DecryptionFailedError' });
    await store.delete('victim');
  });

  it('after rotate + a rewrap killed midway and restarted: every record on the newest version, each rewrapped once, all decrypt', async () => {
    const rotation = t.app.get(KeyRotationService);
    const job = t.app.get(TokenRewrapJob);
    const before = await kms.keyInfo(keyName);
    const rotated = await rotation.rotate('user-tokens', 'test');
    expect(rotated.latestVersion).toBe(before.latestVersion + 1);

    // Count what is sent to transit rewrap across both runs.
    const sent: string[] = [];
    const original = kms.rewrapDataKeys.bind(kms);
    const spy = jest.spyOn(kms, 'rewrapDataKeys').mockImplementation(async (name, wrapped) => {
      sent.push(...wrapped);
      return original(name, wrapped);
    });
    const idsPerBatch: string[] = [];
    const coll = db.db!.collection('tokens');

    // First run "crashes" after three committed batches of 25.
    await expect(
      job.run({
        actor: 'test',
        batchSize: 25,
        afterBatch: (processed) => {
          idsPerBatch.push(String(processed));
          if (processed >= 75) throw new Error('simulated crash');
        },
      }),
    ).rejects.toThrow('simulated crash');
    expect(await coll.countDocuments({ 'enc.kv': rotated.latestVersion })).toBe(75);
    expect((await job.progress()).status).toBe('running');

    const result = await job.run({ actor: 'test', batchSize: 25 });
    spy.mockRestore();
    expect(result).toMatchObject({ status: 'done', targetVersion: rotated.latestVersion, processed: N, remaining: 0 });
    // Nothing re-done, nothing skipped: every record needs one rewrap, and exactly N were sent across both runs.
    expect(sent).toHaveLength(N);
    expect(await coll.countDocuments({ 'enc.kv': { $ne: rotated.latestVersion } })).toBe(0);
    for (const d of await coll.find({}).toArray()) expect(d.enc.wk).toMatch(new RegExp(`^vault:v${rotated.latestVersion}:`));
    // Decrypts with a cold cache.
    t.app.get(EnvelopeService).cache.clear();
    for (let i = 0; i < N; i++) expect(await store.get(`user-${i}`)).toEqual(plain(i));

    // A second run changes nothing.
    const again = await job.run({ actor: 'test', batchSize: 25 });
    expect(again).toMatchObject({ processed: 0, remaining: 0 });

    // Runbook step: with the rewrap done, raise min_decryption_version; everything still decrypts.
    await (kms as unknown as { setMinDecryptionVersion(k: string, v: number): Promise<void> }).setMinDecryptionVersion(keyName, rotated.latestVersion);
    t.app.get(EnvelopeService).cache.clear();
    for (let i = 0; i < N; i += 23) expect(await store.get(`user-${i}`)).toEqual(plain(i));

    const events = await t.app.get(SecurityEvents).recent(/^kms\./);
    expect(events.map((e) => e.action)).toEqual(
      expect.arrayContaining(['kms.key.rotated', 'kms.rewrap.started', 'kms.rewrap.resumed', 'kms.rewrap.completed']),
    );
  });
});
