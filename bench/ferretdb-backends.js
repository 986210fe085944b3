/**
 * FerretDB 1.24 on SQLite vs on PostgreSQL (the two backends scripts/dev-services.sh can run), same binary,
 * same data, same run, alternating rounds. Starts its own FerretDB processes on free ports: one on SQLite in a
 * temporary directory, one on the PostgreSQL of scripts/postgres.sh (started if needed; a database of its own).
 * Loads N documents shaped like the app's (a user id, a client id, a date, a payload), with the app's kind of
 * indexes, then measures the queries the app makes: a lookup by a non-_id field, the newest 10 of a client
 * (filter + sort + limit), a conditional update by a non-_id filter, and a lookup by _id. Prints ops/s for each
 * backend and the ratio PostgreSQL / SQLite (> 1: PostgreSQL is faster).
 *   node bench/ferretdb-backends.js [--docs 5000] [--duration 3] [--rounds 2] [--concurrency 4]
 */
const { execFileSync, spawn } = require('node:child_process');
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const path = require('node:path');
const { MongoClient } = require('mongodb');
const { arg, freePort } = require('./lib');

const ROOT = path.join(__dirname, '..');
const docs = arg('docs', 5000);
const duration = arg('duration', 3) * 1000;
const rounds = arg('rounds', 2);
const concurrency = arg('concurrency', 4);
const CLIENTS = 20;

async function startFerret(name, backendArgs) {
  const port = await freePort();
  const state = mkdtempSync(path.join(tmpdir(), `fgw-bench-ferret-${name}-`));
  const child = spawn(
    path.join(ROOT, '.tools/bin/ferretdb'),
    [
      ...backendArgs(state),
      `--state-dir=${state}`,
      `--listen-addr=127.0.0.1:${port}`,
      `--debug-addr=127.0.0.1:${await freePort()}`,
      '--telemetry=disable',
      '--log-level=warn',
    ],
    { stdio: 'ignore' },
  );
  const client = new MongoClient(`mongodb://127.0.0.1:${port}/`, { maxPoolSize: concurrency + 2 });
  for (let i = 0; ; i++) {
    try {
      await client.db('admin').command({ ping: 1 });
      break;
    } catch (err) {
      if (i > 200 || child.exitCode !== null) throw new Error(`ferretdb (${name}) did not start: ${err.message}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return { name, client, child, state };
}

const doc = (i) => ({
  user_id: `user-${i}`,
  client_id: `client-${i % CLIENTS}`,
  created_at: new Date(1_700_000_000_000 + i * 1000),
  payload: `p-${i}-`.padEnd(200, 'x'),
});

/** Loads the documents (timed) and the indexes the app's schemas declare for such fields. */
async function load(coll) {
  await coll.createIndex({ user_id: 1 }, { unique: true });
  await coll.createIndex({ client_id: 1, created_at: -1 });
  const t0 = performance.now();
  for (let i = 0; i < docs; i += 500) {
    await coll.insertMany(Array.from({ length: Math.min(500, docs - i) }, (_, k) => doc(i + k)));
  }
  return docs / ((performance.now() - t0) / 1000);
}

/** Runs `op` with `concurrency` workers for `duration` ms; returns ops/s. */
async function rate(op) {
  let n = 0;
  const end = performance.now() + duration;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        await op(n++);
      }
    }),
  );
  return n / ((performance.now() - t0) / 1000);
}

const rnd = () => Math.floor(Math.random() * docs);
const OPS = {
  'insertMany (docs/s)': null, // measured by load()
  'findOne {user_id}': (c) => () => c.findOne({ user_id: `user-${rnd()}` }),
  'find {client_id} sort created_at limit 10': (c) => () =>
    c.find({ client_id: `client-${rnd() % CLIENTS}` }).sort({ created_at: -1 }).limit(10).toArray(),
  'updateOne {user_id, enc: $exists false}': (c) => (i) =>
    c.updateOne({ user_id: `user-${rnd()}`, enc: { $exists: false } }, { $set: { touched: i } }),
  'findOne {_id}': (c, ids) => () => c.findOne({ _id: ids[rnd()] }),
};

async function main() {
  execFileSync('bash', [path.join(ROOT, 'scripts/postgres.sh'), 'up'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const pgUrl = execFileSync('bash', [path.join(ROOT, 'scripts/postgres.sh'), 'url'], { encoding: 'utf8' }).trim();
  const backends = [
    await startFerret('sqlite', (dir) => ['--handler=sqlite', `--sqlite-url=file:${dir}/`]),
    await startFerret('postgresql', () => ['--handler=postgresql', `--postgresql-url=${pgUrl}`]),
  ];
  const dbName = `bench_${process.pid}`;
  const results = Object.fromEntries(backends.map((b) => [b.name, Object.fromEntries(Object.keys(OPS).map((k) => [k, []]))]));
  try {
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? backends : [...backends].reverse();
      for (const b of order) {
        const db = b.client.db(dbName);
        await db.dropDatabase();
        const coll = db.collection('tokens');
        results[b.name]['insertMany (docs/s)'].push(await load(coll));
        const ids = (await coll.find({}, { projection: { _id: 1 } }).toArray()).map((d) => d._id);
        for (const [name, make] of Object.entries(OPS)) {
          if (make) results[b.name][name].push(await rate(make(coll, ids)));
        }
        console.log(`round ${r + 1}: ${b.name} done`);
      }
    }
  } finally {
    for (const b of backends) {
      await b.client.db(dbName).dropDatabase().catch(() => undefined);
      await b.client.close();
      b.child.kill();
      rmSync(b.state, { recursive: true, force: true });
    }
  }
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  console.log(`\n${docs} documents, ${rounds} alternating rounds, ${duration / 1000} s per query kind, concurrency ${concurrency}`);
  console.log('| operation | SQLite ops/s | PostgreSQL ops/s | PostgreSQL / SQLite |');
  console.log('| --- | --- | --- | --- |');
  for (const name of Object.keys(OPS)) {
    const s = mean(results.sqlite[name]);
    const p = mean(results.postgresql[name]);
    const each = (xs) => xs.map((x) => x.toFixed(0)).join(', ');
    console.log(`| ${name} | ${s.toFixed(0)} (${each(results.sqlite[name])}) | ${p.toFixed(0)} (${each(results.postgresql[name])}) | ${(p / s).toFixed(2)} |`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
