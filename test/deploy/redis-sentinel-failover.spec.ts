import { randomBytes } from 'node:crypto';
import type { IssuedApiKey } from '../../src/auth/api-key.view';
import { FakeFlickr, REAL_FLICKR_ORIGINS } from '../../tools/sandbox-flickr/fake-flickr.server';
import { AUTH_TEST_ENV, createApiKey } from '../support/factories/api-key.factory';
import { waitFor } from '../support/processes';
import { startTestApp, type TestApp } from '../support/test-app';
import { connectUser, sendUpload, sharedKmsEnv, startWorker } from '../support/uploads';
import { fakeFlickrEnv } from '../support/factories/flickr.factory';
import { opsTool, TOOL_INSTALL_TIMEOUT_MS } from './support/ops-tools';
import { SentinelCluster } from './support/sentinel-cluster';

/**
 * Redis Sentinel failover on real processes: master + replica + three redis-sentinel on loopback; the API
 * (in process) and a worker process reach Redis only through the Sentinels. Uploads keep coming while the
 * master is SIGKILLed; the app must recover by itself (same instance, no restart), and every upload that
 * was answered 202 must still complete, exactly once.
 */
describe('Redis Sentinel failover', () => {
  let cluster: SentinelCluster;
  let fake: FakeFlickr;
  let t: TestApp;
  let worker: Awaited<ReturnType<typeof startWorker>>;

  beforeAll(async () => {
    cluster = await SentinelCluster.start(opsTool('redis-sentinel'));
    fake = await FakeFlickr.start({ origins: REAL_FLICKR_ORIGINS });
    t = await startTestApp({
      env: {
        ...AUTH_TEST_ENV,
        ...fakeFlickrEnv(fake),
        ...sharedKmsEnv(),
        REDIS_SENTINELS: cluster.sentinels,
        REDIS_SENTINEL_MASTER: cluster.masterName,
        // Enqueue waits for the replica to hold the job before answering 202 (docs/operations.md, HA).
        REDIS_WAIT_REPLICAS: '1',
        RATE_LIMIT_ENABLED: 'false',
        UPLOADS_TICKET_POLL_MS: '50',
        UPLOADS_DISPATCH_INTERVAL_MS: '50',
        UPLOADS_RETRY_BASE_MS: '50',
      },
    });
    // startTestApp put the environment in process.env, so the worker gets the same Sentinels.
    worker = await startWorker();
  }, TOOL_INSTALL_TIMEOUT_MS);

  afterAll(async () => {
    await worker?.stop();
    await t?.close();
    await fake?.close();
    await cluster?.stop();
  });

  it('kills the master under upload traffic: the app recovers without restart and loses no accepted upload', async () => {
    const key: IssuedApiKey = await createApiKey(t.app);
    const user = `u-${randomBytes(3).toString('hex')}`;
    await connectUser(t.app, fake, key.client_id, user);
    const [oldMaster, replica] = cluster.redisPorts;
    expect(await cluster.currentMasterPort()).toBe(oldMaster);

    const accepted: string[] = [];
    const refused: Array<{ status: number; type: unknown; contentType: unknown }> = [];
    let networkErrors = 0;
    let sent = 0;
    let stop = false;
    const send = async () => {
      sent++;
      try {
        const r = await sendUpload(t.url, key.api_key, user, { bytes: 2048 }, { title: `n${sent}` });
        if (r.status === 202) accepted.push(r.body.job_id as string);
        else refused.push({ status: r.status, type: r.body.type, contentType: r.headers['content-type'] });
      } catch {
        networkErrors++;
      }
    };
    // Three concurrent senders, bounded in count; they run until told to stop.
    const traffic = Promise.all(
      [0, 1, 2].map(async () => {
        while (!stop && sent < 2000) await send();
      }),
    );

    await waitFor(async () => accepted.length >= 15, { timeoutMs: 60_000 });
    await cluster.kill(oldMaster);
    const acceptedAtKill = accepted.length;

    // The Sentinels promote the replica; the app follows by itself and accepts uploads again.
    await waitFor(async () => (await cluster.currentMasterPort()) === replica, { timeoutMs: 60_000, intervalMs: 200 });
    // The killed master comes back (a restarted pod) and the Sentinels make it the new master's replica:
    // until then WAIT has no replica to confirm with, and uploads are refused (503), not accepted unsafely.
    await cluster.restart(oldMaster);
    await waitFor(async () => accepted.length >= acceptedAtKill + 15, { timeoutMs: 90_000, intervalMs: 100 });
    stop = true;
    await traffic;
    await waitFor(async () => (await fetch(`${t.url}/health/ready`)).status === 200, { timeoutMs: 30_000 });

    // During the failover, refusals are problem+json answers (no hang, no HTML, no connection reset).
    expect(networkErrors).toBe(0);
    for (const r of refused) {
      expect(r.status).toBe(503);
      expect(String(r.contentType)).toContain('application/problem+json');
    }

    // Zero lost accepted uploads: every 202 completes, with exactly one photo on Flickr.
    const statusOf = async (jobId: string) =>
      ((await (await fetch(`${t.url}/v1/uploads/${jobId}`, { headers: { 'x-api-key': key.api_key } })).json()) as { status: string }).status;
    await waitFor(
      async () => {
        const statuses = await Promise.all(accepted.map(statusOf));
        return statuses.every((s) => s === 'completed');
      },
      { timeoutMs: 120_000, intervalMs: 500 },
    ).catch(async () => {
      const statuses = await Promise.all(accepted.map(async (id) => `${id}:${await statusOf(id)}`));
      throw new Error(`not every accepted upload completed: ${statuses.filter((s) => !s.endsWith(':completed')).join(', ')}\n${worker.output().slice(-3000)}`);
    });
    const photos = fake.listPhotos();
    for (const jobId of accepted) {
      expect(photos.filter((p) => p.tags.split(' ').includes(`fgw:job=${jobId.replace(/-/g, '')}`))).toHaveLength(1);
    }
    process.stderr.write(
      `[failover] ${accepted.length} uploads accepted (${acceptedAtKill} before the kill), ${refused.length} refused during failover ` +
        `(${[...new Set(refused.map((r) => r.type))].join(', ')}), all completed\n`,
    );
  }, 300_000);
});
