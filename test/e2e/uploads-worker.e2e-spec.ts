import type { IssuedApiKey } from '../../src/auth/api-key.view';
import type { FakeFlickr } from '../../tools/sandbox-flickr/fake-flickr.server';
import { freePort, waitFor } from '../support/processes';
import { startAppOnFakeFlickr } from '../support/fake-flickr-app';
import type { TestApp } from '../support/test-app';
import { connectedClient, sendUpload, sharedKmsEnv, startWorker } from '../support/uploads';

/** The worker as a real process: crash recovery and fair scheduling, measured on the fake Flickr. */
describe('upload worker process', () => {
  let fake: FakeFlickr;
  let t: TestApp;

  beforeAll(async () => {
    ({ fake, t } = await startAppOnFakeFlickr({
      ...sharedKmsEnv(),
      RATE_LIMIT_ENABLED: 'false',
      UPLOADS_TICKET_POLL_MS: '20',
      UPLOADS_DISPATCH_INTERVAL_MS: '50',
      UPLOADS_LOCK_MS: '3000',
      UPLOADS_STALLED_CHECK_MS: '1000',
    }));
  });
  afterAll(async () => {
    await t.close();
    await fake.close();
  });

  const client = () => connectedClient(t.app, fake);
  const job = (key: IssuedApiKey, id: string) =>
    fetch(`${t.url}/v1/uploads/${id}`, { headers: { 'x-api-key': key.api_key } }).then((r) => r.json() as Promise<Record<string, unknown>>);

  it('a worker killed with SIGKILL mid-job: the restarted worker completes the job, exactly one photo on Flickr', async () => {
    const { key, user } = await client();
    // Flickr receives the whole file, then takes 1.5 s to answer: the worker dies while waiting, after the upload reached Flickr.
    fake.inject({ match: '/services/upload', delayMs: 1500 });
    const first = await startWorker();
    const res = await sendUpload(t.url, key.api_key, user, { bytes: 200_000 }, { title: 'crash-test' });
    const id = res.body.job_id as string;
    await waitFor(async () => fake.count('/services/upload') >= 1, { timeoutMs: 30_000 });
    expect((await job(key, id)).status).toBe('active');
    await first.stop('SIGKILL');
    expect(first.child.signalCode).toBe('SIGKILL');

    const second = await startWorker();
    try {
      const done = await waitFor(async () => {
        const j = await job(key, id);
        return ['completed', 'failed'].includes(j.status as string) ? j : undefined;
      }, { timeoutMs: 45_000 });
      expect(done).toMatchObject({ status: 'completed', attempts: 2 });
      const tagged = fake.listPhotos().filter((p) => p.tags.split(' ').includes(`fgw:job=${id.replace(/-/g, '')}`));
      expect(tagged).toHaveLength(1);
      expect(tagged[0].id).toBe(done.photo_id);
      // Only one upload request ever reached Flickr: the re-run found the photo by its machine tag.
      expect(fake.count('/services/upload')).toBe(1);
    } finally {
      await second.stop();
    }
  }, 120_000);

  it('fairness: A queues 500, then B queues 5; all of B completes within the first 15 jobs processed after B arrives', async () => {
    const a = await client();
    const b = await client();
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < 500) {
          const n = next++;
          const r = await sendUpload(t.url, a.key.api_key, a.user, { bytes: 256 }, { title: `A-${n}` });
          if (r.status !== 202) throw new Error(`A upload ${n}: ${r.status}`);
        }
      }),
    );
    const worker = await startWorker({ UPLOADS_WORKER_CONCURRENCY: '2', UPLOADS_DISPATCH_DEPTH: '2' });
    try {
      const mine = () => fake.listPhotos().filter((p) => /^[AB]-/.test(p.title));
      await waitFor(async () => mine().length >= 10, { timeoutMs: 60_000 });
      const bIds: string[] = [];
      for (let i = 0; i < 5; i++) bIds.push((await sendUpload(t.url, b.key.api_key, b.user, { bytes: 256 }, { title: `B-${i}` })).body.job_id as string);
      const arrivedAt = mine().length;
      await waitFor(async () => (await Promise.all(bIds.map((id) => job(b.key, id)))).every((j) => j.status === 'completed'), { timeoutMs: 60_000 });
      const after = mine().slice(arrivedAt).map((p) => p.title);
      const lastB = Math.max(...after.map((title, i) => (title.startsWith('B-') ? i : -1)));
      // A still had hundreds waiting: plain FIFO would have served all of them before B.
      expect(arrivedAt).toBeLessThan(100);
      expect(after.filter((title) => title.startsWith('B-'))).toHaveLength(5);
      expect(lastB + 1).toBeLessThanOrEqual(15);
      process.stdout.write(`fairness: B's 5 jobs done within the first ${lastB + 1} processed after B arrived (A had ${500 - arrivedAt} left)\n`);
    } finally {
      await worker.stop();
    }
  }, 300_000);

  it('a 100 MiB upload: the API process\'s peak RSS grows by less than 64 MiB (measured on a real API process)', async () => {
    const { spawn } = await import('node:child_process');
    const { readFileSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { key, user } = await client();
    const port = await freePort();
    const root = join(__dirname, '..', '..');
    const api = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', join(root, 'src/main.ts')], {
      cwd: root,
      env: { ...process.env, NODE_OPTIONS: '', TS_NODE_PROJECT: join(root, 'tsconfig.json'), PORT: String(port), LOG_LEVEL: 'warn' },
      stdio: 'ignore',
    });
    const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${api.pid}/status`, 'utf8'))![1]);
    try {
      const base = `http://127.0.0.1:${port}`;
      await waitFor(async () => (await fetch(`${base}/health/ready`)).status === 200, { timeoutMs: 60_000 });
      // Warm up the route (first-request allocations are not the file's).
      expect((await sendUpload(base, key.api_key, user, { bytes: 1024 * 1024 })).status).toBe(202);
      const before = kb('VmRSS');
      writeFileSync(`/proc/${api.pid}/clear_refs`, '5'); // resets VmHWM (peak RSS) to the current RSS
      const res = await sendUpload(base, key.api_key, user, { bytes: 100 * 1024 * 1024 });
      expect(res.status).toBe(202);
      const growthMiB = (kb('VmHWM') - before) / 1024;
      process.stdout.write(`100 MiB upload: API peak RSS grew by ${growthMiB.toFixed(1)} MiB\n`);
      expect(growthMiB).toBeLessThan(64);
    } finally {
      api.kill('SIGTERM');
    }
  }, 180_000);
});
