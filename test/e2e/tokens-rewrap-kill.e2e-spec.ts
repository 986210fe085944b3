import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { getConnectionToken } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import { SecurityEvents } from '../../src/security-events/security-events.service';
import { EnvelopeService } from '../../src/kms/envelope.service';
import { KeyRotationService } from '../../src/kms/key-rotation.service';
import { TokenStore } from '../../src/tokens/token.store';
import { createTransitKeys, useOpenBao } from '../integration/kms-env';
import { waitFor } from '../support/processes';
import { startTestApp, type TestApp } from '../support/test-app';

const ROOT = join(__dirname, '..', '..');
const suffix = randomBytes(4).toString('hex');
const env = useOpenBao(suffix);
const N = 300;
const plain = (i: number) => ({ token: `72157-${suffix}-token-${i}`, secret: `secret-${suffix}-${i}` });

/** `node src/cli.ts kms:rewrap` as its own process against this file's database and transit keys. */
function rewrapCli(): { child: ChildProcess; exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> } {
  let stdout = '';
  let stderr = '';
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', join(ROOT, 'src/cli.ts'), 'kms:rewrap', '--batch-size=10'], {
    cwd: ROOT,
    env: { ...process.env, ...env, NODE_OPTIONS: '', TS_NODE_PROJECT: join(ROOT, 'tsconfig.json') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (stdout += String(d)));
  child.stderr!.on('data', (d) => (stderr += String(d)));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, exit };
}

/**
 * The rewrap job killed for real (SIGKILL of the CLI process, wherever it is: between batches or inside one)
 * and run again: every record ends on the newest key version, none is rewrapped twice, none is skipped.
 */
describe('token rewrap survives a SIGKILL', () => {
  let t: TestApp;
  let db: Connection;

  beforeAll(async () => {
    await createTransitKeys();
    // Small data-key reuse so the collection holds many distinct wrapped keys, like a long-running deployment.
    t = await startTestApp({ env: { ...env, KMS_DATA_KEY_MAX_USES: '7' } });
    db = t.app.get<Connection>(getConnectionToken());
    const store = t.app.get(TokenStore);
    for (let i = 0; i < N; i++) await store.save(`user-${i}`, plain(i));
  });
  afterAll(async () => {
    await t?.close();
  });

  it('a CLI rewrap SIGKILLed midway and restarted: all on the newest version, records done before the kill untouched, all decrypt', async () => {
    const rotated = await t.app.get(KeyRotationService).rotate('user-tokens', 'test');
    const tokens = db.db!.collection('tokens');
    const onLatest = () => tokens.countDocuments({ 'enc.kv': rotated.latestVersion });
    expect(await onLatest()).toBe(0);

    const first = rewrapCli();
    try {
      await waitFor(async () => (await onLatest()) >= 40, { timeoutMs: 120_000, intervalMs: 20 });
    } finally {
      first.child.kill('SIGKILL');
    }
    const killed = await first.exit;
    expect(killed.signal).toBe('SIGKILL');

    // What the killed run left: some records moved, some not.
    const atKill = new Map<string, { kv: number; wk: string }>();
    for (const d of await tokens.find({}, { projection: { user_id: 1, 'enc.kv': 1, 'enc.wk': 1 } }).toArray()) {
      atKill.set(d.user_id as string, { kv: d.enc.kv as number, wk: d.enc.wk as string });
    }
    const movedBeforeKill = [...atKill.values()].filter((r) => r.kv === rotated.latestVersion).length;
    expect(movedBeforeKill).toBeGreaterThanOrEqual(40);
    expect(movedBeforeKill).toBeLessThan(N);

    const second = rewrapCli();
    const done = await second.exit;
    if (done.code !== 0) throw new Error(`the restarted rewrap failed (${done.code}): ${done.stderr}`);
    // Without a key named, the CLI rewraps both keys and reports each.
    const report = JSON.parse(done.stdout.trim().split('\n').pop()!);
    expect(report).toMatchObject({ command: 'kms:rewrap', status: 'done', remaining: 0 });
    expect(report.keys).toEqual([
      expect.objectContaining({ key: env.KMS_KEY_USER_TOKENS, status: 'done', targetVersion: rotated.latestVersion, remaining: 0 }),
      expect.objectContaining({ key: env.KMS_KEY_APP_CREDENTIALS, status: 'done', remaining: 0 }),
    ]);

    // Nothing skipped, nothing re-done: transit rewrap returns a new ciphertext each time, so a record rewrapped
    // again would show a different wrapped key.
    const after = await tokens.find({}, { projection: { user_id: 1, 'enc.kv': 1, 'enc.wk': 1 } }).toArray();
    expect(after).toHaveLength(N);
    for (const d of after) {
      const before = atKill.get(d.user_id as string)!;
      expect(d.enc.kv).toBe(rotated.latestVersion);
      expect(d.enc.wk).toMatch(new RegExp(`^vault:v${rotated.latestVersion}:`));
      if (before.kv === rotated.latestVersion) expect(d.enc.wk).toBe(before.wk);
      else expect(d.enc.wk).not.toBe(before.wk);
    }

    // Every record decrypts with a cold data-key cache.
    t.app.get(EnvelopeService).cache.clear();
    const store = t.app.get(TokenStore);
    for (let i = 0; i < N; i++) expect(await store.get(`user-${i}`)).toEqual(plain(i));

    const actions = (await t.app.get(SecurityEvents).recent(/^kms\.rewrap/)).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['kms.rewrap.started', 'kms.rewrap.resumed', 'kms.rewrap.completed']));
  }, 300_000);
});
