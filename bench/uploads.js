#!/usr/bin/env node
/**
 * The upload queue, as ratios measured in one run (alternating rounds, so machine noise hits both sides):
 *  1. enqueue latency: POST /v1/users/:user_id/uploads (a 4 KiB file, multipart) p50/p99 against a plain
 *     authenticated JSON route on the same API process (GET /v1/users/:user_id), same concurrency and count;
 *  2. throughput: jobs per second through lanes → dispatcher → Bull → worker → Flickr, with a worker process and
 *     the fake Flickr answering at once (its async tickets complete after 50 ms), against a bare Bull queue
 *     add/process loop (no-op processor) on the same Redis, same concurrency.
 * The API and the worker run from the sources (ts-node, transpile only), so the bench never uses a stale dist/.
 *   node bench/uploads.js [--jobs 300] [--concurrency 2] [--clients 16] [--rounds 3]
 * --concurrency is UPLOADS_WORKER_CONCURRENCY (and the bare Bull processor's); --clients is the number of
 * requests in flight for the latency part.
 */
const { execFileSync, spawn } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const path = require('node:path');
const lib = require('./lib');

const { ROOT, arg, mean, freePort } = lib;
const JOBS = arg('jobs', 300);
const CONCURRENCY = arg('concurrency', 2);
const CLIENTS = arg('clients', 16);
const ROUNDS = arg('rounds', 3);
const FILE_BYTES = 4096;

require('ts-node').register({ transpileOnly: true, project: path.join(ROOT, 'tsconfig.json') });
const { FakeFlickr, REAL_FLICKR_ORIGINS } = require(path.join(ROOT, 'tools/sandbox-flickr/fake-flickr.server.ts'));

const TS_NODE = ['-r', 'ts-node/register/transpile-only'];

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

/** Runs `count` requests with `CLIENTS` in flight; returns each one's latency in ms (throws on an unexpected status). */
async function latencies(count, send, expected) {
  const out = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (next < count) {
        next++;
        const t0 = process.hrtime.bigint();
        const res = await send();
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        const body = await res.text();
        if (res.status !== expected) throw new Error(`answered ${res.status}: ${body}`);
        out.push({ ms, body });
      }
    }),
  );
  return out;
}

/** The worker as its own process (like `node dist/worker.js`); resolves once /health/ready answers 200. */
async function startWorker(env) {
  const port = await freePort();
  const child = spawn(process.execPath, [...TS_NODE, path.join(ROOT, 'src/worker.ts')], {
    cwd: ROOT,
    env: { ...env, WORKER_PORT: String(port) },
    stdio: 'ignore',
  });
  for (let i = 0; i < 900; i++) {
    if (child.exitCode !== null) throw new Error('the worker exited early');
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health/ready`)).status === 200) return child;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the worker never became ready');
}

const stop = (child) =>
  new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', resolve);
    child.kill('SIGTERM');
  });

/** Jobs per second between the first and the last finish, from the stored `finished_at` of `ids`. */
async function pipelineRate(jobs, ids) {
  for (;;) {
    const open = await jobs.countDocuments({ job_id: { $in: ids }, status: { $in: ['queued', 'active'] } });
    if (open === 0) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const done = await jobs.find({ job_id: { $in: ids } }, { projection: { status: 1, finished_at: 1 } }).toArray();
  const failed = done.filter((j) => j.status !== 'completed');
  if (failed.length > 0) throw new Error(`${failed.length} jobs ended ${[...new Set(failed.map((j) => j.status))].join(', ')}`);
  const times = done.map((j) => j.finished_at.getTime());
  return (ids.length - 1) / ((Math.max(...times) - Math.min(...times)) / 1000);
}

/** The same number of jobs through a bare Bull queue with a no-op processor: the floor of any Bull pipeline. */
async function bareBullRate(redisUrl, prefix, round) {
  const Bull = require('bull');
  const queue = new Bull(`bench-bare-${round}`, redisUrl, { prefix: `${prefix}bull-bare` });
  await queue.addBulk(Array.from({ length: JOBS }, (_, i) => ({ data: { i }, opts: { removeOnComplete: false } })));
  let completed = 0;
  const finished = new Promise((resolve) => queue.on('completed', () => ++completed === JOBS && resolve()));
  void queue.process(CONCURRENCY, async () => undefined);
  await finished;
  const jobs = await queue.getCompleted(0, JOBS);
  const times = jobs.map((j) => j.finishedOn);
  await queue.obliterate({ force: true });
  await queue.close();
  return (JOBS - 1) / ((Math.max(...times) - Math.min(...times)) / 1000);
}

async function main() {
  const services = lib.services();
  const run = randomBytes(4).toString('hex');
  const fake = await FakeFlickr.start({ origins: REAL_FLICKR_ORIGINS });
  const kmsKey = () => randomBytes(32).toString('base64');
  const env = {
    ...process.env,
    ...services,
    NODE_OPTIONS: '',
    TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.json'),
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    SHUTDOWN_DRAIN_DELAY_MS: '0',
    MONGODB_DATABASE: `bench_uploads_${run}`,
    REDIS_KEY_PREFIX: `bench:${run}:`,
    AUTH_BCRYPT_COST: '10',
    // The queue is measured, not the limiters: the backlog of a round must fit under the caps, and Flickr's
    // hourly budget (3500 calls; each job makes an upload and a few checkTickets) would otherwise run out mid-run.
    RATE_LIMIT_ENABLED: 'false',
    FLICKR_BUDGET_LIMIT: '100000000',
    UPLOADS_MAX_PENDING_PER_CLIENT: String(10 * JOBS),
    UPLOADS_MAX_PENDING_TOTAL: String(10 * JOBS),
    UPLOADS_WORKER_CONCURRENCY: String(CONCURRENCY),
    UPLOADS_TICKET_POLL_MS: '10',
    UPLOADS_DISPATCH_INTERVAL_MS: '20',
    // Both processes must decrypt the same tokens.
    KMS_PROVIDER: 'local',
    KMS_LOCAL_KEYS: `fgw-user-tokens:1:${kmsKey()},fgw-app-credentials:1:${kmsKey()}`,
    FLICKR_CONSUMER_KEY: fake.consumerKey,
    FLICKR_CONSUMER_SECRET: fake.consumerSecret,
    FLICKR_API_URL: `${fake.url}/services/rest`,
    FLICKR_UPLOAD_URL: `${fake.url}/services/upload`,
    FLICKR_OAUTH_URL: `${fake.url}/services/oauth`,
  };
  const { MongoClient } = require('mongodb');
  const mongo = await MongoClient.connect(services.MONGODB_URI);
  const jobs = mongo.db(env.MONGODB_DATABASE).collection('upload_jobs');

  const admin = JSON.parse(execFileSync(process.execPath, [...TS_NODE, path.join(ROOT, 'src/cli/create-admin-key.ts'), '--client-id', 'bench-ops'], { cwd: ROOT, env, encoding: 'utf8' }));
  const api = await lib.startServer([...TS_NODE, path.join(ROOT, 'src/main.ts')], env);
  const results = { upload: [], json: [], pipeline: [], bull: [] };
  try {
    const created = await fetch(`${api.base}/admin/keys`, {
      method: 'POST',
      headers: { 'x-api-key': admin.api_key, 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: 'bench-client', name: 'bench', role: 'client' }),
    });
    if (created.status !== 201) throw new Error(`creating the bench key answered ${created.status}`);
    const key = (await created.json()).api_key;
    const user = 'bench-user';
    const post = (p, body) => fetch(`${api.base}${p}`, { method: 'POST', headers: { 'x-api-key': key, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const started = await (await post('/v1/oauth/start', { user_id: user, mode: 'oob', perms: 'write' })).json();
    const verifier = fake.approve(started.oauth_token, '12345678@N00', 'write');
    const verified = await post('/v1/oauth/verify', { user_id: user, oauth_token: started.oauth_token, verifier });
    if (verified.status !== 200) throw new Error(`connecting the bench user answered ${verified.status}: ${await verified.text()}`);

    const boundary = `----bench${run}`;
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\nbench\r\n`),
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="photo"; filename="b.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`),
      randomBytes(FILE_BYTES),
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const upload = () =>
      fetch(`${api.base}/v1/users/${user}/uploads`, { method: 'POST', headers: { 'x-api-key': key, 'content-type': `multipart/form-data; boundary=${boundary}` }, body });
    const json = () => fetch(`${api.base}/v1/users/${user}`, { headers: { 'x-api-key': key } });

    // Warm-up (connections, verification cache, JIT), discarded; its jobs are processed with round 1's.
    const warm = await latencies(50, upload, 202);
    await latencies(50, json, 200);
    let carry = warm.map((r) => JSON.parse(r.body).job_id);

    for (let round = 1; round <= ROUNDS; round++) {
      // 1. Enqueue latency, the worker stopped: the uploads become this round's backlog.
      const ids = [];
      for (const name of round % 2 ? ['upload', 'json'] : ['json', 'upload']) {
        const rs = await latencies(JOBS, name === 'upload' ? upload : json, name === 'upload' ? 202 : 200);
        if (name === 'upload') ids.push(...rs.map((r) => JSON.parse(r.body).job_id));
        const sorted = rs.map((r) => r.ms).sort((a, b) => a - b);
        results[name].push({ p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99) });
      }
      // 2. Throughput, alternating which side goes first.
      for (const name of round % 2 ? ['pipeline', 'bull'] : ['bull', 'pipeline']) {
        if (name === 'bull') {
          results.bull.push(await bareBullRate(services.REDIS_URL, env.REDIS_KEY_PREFIX, round));
        } else {
          const worker = await startWorker(env);
          try {
            if (carry.length) await pipelineRate(jobs, carry); // the warm-up's jobs go first, not measured
            carry = [];
            results.pipeline.push(await pipelineRate(jobs, ids));
          } finally {
            await stop(worker);
          }
        }
      }
      const r = (k) => results[k][results[k].length - 1];
      console.log(
        `round ${round}: enqueue p50/p99 ${r('upload').p50.toFixed(1)}/${r('upload').p99.toFixed(1)} ms (JSON route ${r('json').p50.toFixed(1)}/${r('json').p99.toFixed(1)} ms); ` +
          `pipeline ${r('pipeline').toFixed(1)} jobs/s, bare Bull ${r('bull').toFixed(1)} jobs/s`,
      );
    }
  } finally {
    await stop(api.child);
    await mongo.db(env.MONGODB_DATABASE).dropDatabase().catch(() => undefined);
    const { Redis } = require('ioredis');
    const redis = new Redis(services.REDIS_URL);
    for (const k of await redis.keys(`${env.REDIS_KEY_PREFIX}*`)) await redis.del(k);
    redis.disconnect();
    await mongo.close();
    await fake.close();
  }
  const avg = (k, f) => mean(results[k].map((x) => x[f]));
  const summary = {
    jobs_per_round: JOBS,
    rounds: ROUNDS,
    worker_concurrency: CONCURRENCY,
    requests_in_flight: CLIENTS,
    file_bytes: FILE_BYTES,
    enqueue_ms: { p50: +avg('upload', 'p50').toFixed(1), p99: +avg('upload', 'p99').toFixed(1) },
    json_route_ms: { p50: +avg('json', 'p50').toFixed(1), p99: +avg('json', 'p99').toFixed(1) },
    enqueue_over_json: { p50: +(avg('upload', 'p50') / avg('json', 'p50')).toFixed(2), p99: +(avg('upload', 'p99') / avg('json', 'p99')).toFixed(2) },
    pipeline_jobs_per_s: +mean(results.pipeline).toFixed(1),
    bare_bull_jobs_per_s: +mean(results.bull).toFixed(1),
    pipeline_over_bare_bull: +(mean(results.pipeline) / mean(results.bull)).toFixed(3),
  };
  console.log(JSON.stringify(summary, null, 2));
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
