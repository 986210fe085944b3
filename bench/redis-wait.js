/**
 * Cost of REDIS_WAIT_REPLICAS=1 on the enqueue of an upload: the lane admission (a Lua script, as in
 * src/uploads/upload-lanes.store.ts) alone vs followed by `WAIT 1 500`, on one shared ioredis connection (as
 * the app does) against a real master + replica on loopback. Alternating rounds, same run; prints ops/s,
 * mean latency and the ratio.
 *   node bench/redis-wait.js [--duration 3] [--rounds 3] [--concurrency 16]
 */
const { spawn } = require('node:child_process');
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const path = require('node:path');
const { Redis } = require('ioredis');
const { arg, mean, freePort } = require('./lib');

const duration = arg('duration', 3) * 1000;
const rounds = arg('rounds', 3);
const concurrency = arg('concurrency', 16);

const ADMIT = `
if redis.call('SCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 1 end
redis.call('SADD', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('RPUSH', KEYS[3], ARGV[1])
return 0`;

async function ping(port) {
  const r = new Redis({ port, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  r.on('error', () => undefined); // not up yet: the caller retries
  try {
    await r.connect();
    return await r.info('replication');
  } catch {
    return '';
  } finally {
    r.disconnect();
  }
}

async function waitUntil(fn) {
  for (let i = 0; i < 200; i++) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('redis did not come up');
}

async function main() {
  const dir = mkdtempSync(path.join(tmpdir(), 'fgw-bench-wait-'));
  const [mPort, rPort] = [await freePort(), await freePort()];
  const common = ['--bind', '127.0.0.1', '--save', '', '--dir', dir];
  // The production setting: AOF on both nodes (docs/runbooks/backup-restore.md).
  const master = spawn('redis-server', ['--port', String(mPort), '--appendonly', 'yes', ...common], { stdio: 'ignore' });
  await waitUntil(async () => (await ping(mPort)).includes('role:master'));
  const replica = spawn('redis-server', ['--port', String(rPort), '--appendonly', 'yes', '--appendfilename', 'r.aof', '--appenddirname', 'r', '--replicaof', '127.0.0.1', String(mPort), ...common], {
    stdio: 'ignore',
  });
  await waitUntil(async () => (await ping(rPort)).includes('master_link_status:up'));

  const client = new Redis({ port: mPort, keyPrefix: 'bench:' });
  let n = 0;
  async function run(withWait) {
    const latencies = [];
    const end = Date.now() + duration;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (Date.now() < end) {
          const id = `j${n++}`;
          const t0 = process.hrtime.bigint();
          await client.eval(ADMIT, 3, 'pending:c', 'pending', 'lane:c', id, 1e9);
          if (withWait) {
            const acked = await client.wait(1, 500);
            if (acked < 1) throw new Error('replica did not acknowledge');
          }
          latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
        }
      }),
    );
    return { opsPerSec: latencies.length / (duration / 1000), meanMs: mean(latencies) };
  }

  const results = { off: [], on: [] };
  for (let i = 0; i < rounds; i++) {
    results.off.push(await run(false));
    results.on.push(await run(true));
    await client.del('pending:c', 'pending', 'lane:c');
  }
  const summary = (rs) => ({ opsPerSec: Math.round(mean(rs.map((r) => r.opsPerSec))), meanMs: Number(mean(rs.map((r) => r.meanMs)).toFixed(3)) });
  const off = summary(results.off);
  const on = summary(results.on);
  console.log(JSON.stringify({ concurrency, rounds, durationS: duration / 1000, admitOnly: off, admitThenWait: on, throughputRatio: Number((on.opsPerSec / off.opsPerSec).toFixed(3)) }, null, 2));

  client.disconnect();
  master.kill('SIGKILL');
  replica.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
