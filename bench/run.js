#!/usr/bin/env node
/**
 * The hot-path benchmark (issue 15's definition of done, plus issues 14 and 16's
 * bench items). Every figure is a ratio against a baseline measured in the same
 * run, rounds alternating A/B so drift in machine load hits both sides alike.
 *
 *   npm run bench                                   # build, run everything, print, exit 1 on a missed target
 *   npm run bench -- --write                        # ... and write the results into docs/performance.md
 *   node bench/run.js [--duration 5] [--rounds 3] [--connections 50] [--rate 200]
 *                     [--only health,proxy,uncached,scale,pipeline,validation] [--scale] [--write] [--app DIR]
 *
 * Sections (all by default; `--scale` alone runs only "scale"):
 *  health     (1) GET /health/live of the app vs bare Fastify (bench/bare-fastify.js).        target ≥ 0.75
 *             Beside them, reported only: the smallest NestJS + Fastify app (bench/minimal-nest.js), the framework's floor,
 *             and the required-work floor (the same app adding only the security headers, request id and latency
 *             metric every response must carry; BENCH_FLOOR_REQUIRED).
 *  proxy      (2) POST /v1/users/:user_id/flickr/flickr.photos.getInfo with X-API-Key, rate limits on
 *                 (set high), request log on, answered from the response cache, vs bare Fastify
 *                 answering the captured bytes and headers from memory;                     target ≥ 0.50
 *             (3) the same read signed with HMAC (fresh nonce per request, signed by the
 *                 client just before each round, taken one by one by autocannon's
 *                 setupRequest) vs the same bare baseline.                                 target ≥ 0.45
 *             Beside them, reported only: the floor of (2), the smallest NestJS app doing only the one
 *             rate-limit round trip the issue requires and answering the same bytes (bench/minimal-nest.js); and the
 *             required-work floors of (2) and (3): only what the issue and the product require, each part the
 *             cheapest way (bench/minimal-nest.js, BENCH_FLOOR_REQUIRED). A floor below a target: not reachable here.
 *  uncached   (4) POST .../flickr.photos.getSizes (cache TTL overridden to 0: every call reaches
 *                 the fake Flickr) vs the same OAuth-signed GET sent to the fake directly,
 *                 both at a fixed --rate (200 req/s, open loop: vegeta, see paced()): the
 *                 gateway's added p50 and p99.                                              target p99 ≤ 5 ms
 *             Beside it, reported only: the floor of (4), bare Fastify that only forwards calls signed in
 *             advance to the fake and answers its bytes (bench/bare-fastify.js, BENCH_FORWARD), same rate.
 *  scale      scenario (2) on ONE vs TWO API processes (same Redis, same database), and the cost
 *             of one Redis round trip (PING, EVALSHA) and one MongoDB findOne by _id from this
 *             process, put against the request rate of (2). Reported, no target.
 *  pipeline   (issue 14) GET /v1/users/:user_id with an API key: the commit before the request-
 *             pipeline work (1a885f8, built in a git worktree at /tmp/fgw-before, made on first
 *             use) vs this tree's dist. Target: after/before ≥ 1 − noise (noise: 2 standard errors
 *             of the per-round ratios, at least 5 %).
 *  validation (issue 16) there is no switch that skips catalogue validation, so this measures the
 *             validation functions alone (validateFlickrCall + assertFlickrPermission, as the
 *             proxy calls them for the request of (2)) in a tight loop, against the gateway's
 *             CPU time per request measured during (2). Target: ≤ 5 % of a request.
 *
 * The fake Flickr (tools/sandbox-flickr, TypeScript) runs in a process of its own
 * (bench/fake-flickr-process.js); the user is connected through the gateway's
 * OOB flow with the e2e helpers (test/support/factories). Each run uses its own
 * database and Redis key prefix, removed at the end.
 */
require('ts-node/register/transpile-only'); // the TypeScript test helpers below
const { execFileSync, fork, spawnSync } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const { existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const autocannon = require('autocannon');
const { ROOT, arg, mean, services, startServer, cpuSeconds, machineCpu, cpuBreakdown, provisionClient, stealMonitor } = require('./lib');
const { connectViaOob, fakeFlickrEnv } = require('../test/support/factories/flickr.factory');
const { signedHeaders } = require('../test/support/factories/signed-request');
const { countRequestLogRecords } = require('../test/support/request-log');

const DURATION = arg('duration', 5);
const ROUNDS = arg('rounds', 3);
const CONNECTIONS = arg('connections', 50);
const RATE = arg('rate', 200);
const WARMUP = Math.min(DURATION, 3);
const WRITE = process.argv.includes('--write');
// The build under test: this tree's dist/ unless --app names another checkout with a dist/ (e.g. a clean worktree of
// HEAD while this tree holds someone's unfinished work). The benchmark's own helpers always come from this tree.
const appArg = process.argv.indexOf('--app');
const APP = appArg > 0 ? path.resolve(process.argv[appArg + 1]) : ROOT;
const SECTIONS = ['health', 'proxy', 'uncached', 'scale', 'pipeline', 'validation'];
const onlyArg = process.argv.indexOf('--only');
const ONLY = onlyArg > 0 ? process.argv[onlyArg + 1].split(',') : process.argv.includes('--scale') ? ['scale'] : SECTIONS;
for (const s of ONLY) if (!SECTIONS.includes(s)) throw new Error(`unknown section ${s}; sections: ${SECTIONS.join(',')}`);
const on = (s) => ONLY.includes(s);

const TARGETS = { health: 0.75, key: 0.5, hmac: 0.45, addedP99Ms: 5, validationShare: 0.05, pipelineMinNoise: 0.05 };
const BEFORE_REV = '1a885f8';
const BEFORE_DIR = '/tmp/fgw-before';
const RUN_ID = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
const USER = 'bench-user';
const CACHED_METHOD = 'flickr.photos.getInfo';
const UNCACHED_METHOD = 'flickr.photos.getSizes';
const HIGH = '1000000000';

// ---------------------------------------------------------------------------------------------
// Load generation

/**
 * One autocannon run against a server process. Returns req/s, p50/p99 (ms, from every response
 * time when `exact`, else autocannon's histogram) and, when `pid` is given, that process's CPU
 * time per completed request in µs.
 */
async function measure(url, { pids = [], exact = false, breakdown, ...opts }) {
  const cpu0 = pids.map(cpuSeconds);
  const machine0 = breakdown && machineCpu();
  const times = [];
  const res = await new Promise((resolve, reject) => {
    const instance = autocannon({ url, connections: CONNECTIONS, duration: DURATION, ...opts }, (err, r) => (err ? reject(err) : resolve(r)));
    if (exact) instance.on('response', (_client, _status, _bytes, ms) => times.push(ms));
  });
  const cpu = pids.map((pid, i) => cpuSeconds(pid) - cpu0[i]).reduce((a, b) => a + b, 0);
  const done = res['2xx'] + res.non2xx;
  if (res.non2xx || res.errors || res.timeouts || done === 0) {
    throw new Error(`${url}: ${res['2xx']} 2xx, ${res.non2xx} non-2xx, ${res.errors} errors, ${res.timeouts} timeouts`);
  }
  let p50 = res.latency.p50;
  let p99 = res.latency.p99;
  if (exact) {
    times.sort((a, b) => a - b);
    p50 = times[Math.floor(times.length * 0.5)];
    p99 = times[Math.min(times.length - 1, Math.floor(times.length * 0.99))];
  }
  return {
    rps: res['2xx'] / (res.duration || DURATION),
    p50,
    p99,
    cpuUsPerReq: pids.length ? (cpu * 1e6) / done : undefined,
    n: done,
    ...(breakdown && { machine: cpuBreakdown(machine0, machineCpu(), done, breakdown) }),
  };
}

/**
 * A fixed-rate (open-loop) run with vegeta: RATE requests a second at evenly spaced instants, for
 * `seconds`, cycling through `requests` ({ method, path, body?, headers? }). autocannon's
 * --overallRate is not a rate in that sense: each connection sends its quota for the second back to
 * back when the second starts, so the server sees bursts of `connections` concurrent requests and
 * the latencies measure queueing inside the burst. Returns what `measure` returns (p50/p99 of every
 * response, from vegeta's report).
 */
async function paced(base, requests, seconds, pids = []) {
  const vegeta = execFileSync('bash', [path.join(ROOT, 'scripts/ops-tools.sh'), 'path', 'vegeta'], { encoding: 'utf8' }).trim();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fgw-bench-vegeta-'));
  try {
    const targets = requests
      .map((r) => JSON.stringify({
        method: r.method,
        url: `${base}${r.path}`,
        header: Object.fromEntries(Object.entries(r.headers ?? {}).map(([k, v]) => [k, [v]])),
        ...(r.body !== undefined && { body: Buffer.from(r.body).toString('base64') }),
      }))
      .join('\n');
    writeFileSync(path.join(dir, 'targets.json'), `${targets}\n`);
    const cpu0 = pids.map(cpuSeconds);
    const attack = spawnSync(vegeta, ['attack', '-format=json', `-targets=${path.join(dir, 'targets.json')}`, `-rate=${RATE}/1s`, `-duration=${seconds}s`,
      '-keepalive=true', '-workers=10', `-output=${path.join(dir, 'results.bin')}`], { encoding: 'utf8' });
    if (attack.status !== 0) throw new Error(`vegeta attack: ${attack.stderr}`);
    const cpu = pids.map((pid, i) => cpuSeconds(pid) - cpu0[i]).reduce((a, b) => a + b, 0);
    const report = JSON.parse(execFileSync(vegeta, ['report', '-type=json', path.join(dir, 'results.bin')], { encoding: 'utf8' }));
    const ok = report.status_codes?.['200'] ?? 0;
    if (ok !== report.requests) throw new Error(`${base}: vegeta saw ${JSON.stringify(report.status_codes)} of ${report.requests}: ${(report.errors ?? []).slice(0, 3).join('; ')}`);
    const ms = (ns) => ns / 1e6;
    return {
      rps: report.throughput,
      p50: ms(report.latencies['50th']),
      p99: ms(report.latencies['99th']),
      n: report.requests,
      cpuUsPerReq: pids.length ? (cpu * 1e6) / report.requests : undefined,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Runs `rounds` rounds over `sides` ({ name: () => measure(...) }), alternating their order each
 * round after one discarded warm-up of each; logs each result; returns { name: [results] }.
 */
async function alternate(label, sides) {
  const names = Object.keys(sides);
  const out = Object.fromEntries(names.map((n) => [n, []]));
  for (const n of names) await sides[n](true);
  for (let round = 1; round <= ROUNDS; round++) {
    const order = round % 2 ? names : [...names].reverse();
    for (const n of order) {
      const r = await sides[n](false);
      out[n].push(r);
      const cpu = r.cpuUsPerReq === undefined ? '' : `  CPU ${r.cpuUsPerReq.toFixed(0)} µs/req`;
      console.log(`  ${label} round ${round} ${n.padEnd(10)} ${r.rps.toFixed(0).padStart(6)} req/s  p50 ${fmtMs(r.p50)}  p99 ${fmtMs(r.p99)}${cpu}`);
    }
  }
  return out;
}

const machineLine = (m) => `${Object.entries(m).filter(([k]) => k !== 'total').map(([k, v]) => `${k} ${v.toFixed(0)}`).join(' + ')} = ${m.total.toFixed(0)} µs`;
const fmtMs = (ms) => `${Number(ms).toFixed(ms < 10 ? 2 : 1)} ms`;
const avg = (rs, key) => mean(rs.map((r) => r[key]));
const sd = (xs) => Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / Math.max(1, xs.length - 1));

// ---------------------------------------------------------------------------------------------
// Processes

/** The fake Flickr in its own process; `rpc(op, args)` talks to it. */
async function startFake() {
  const child = fork(path.join(__dirname, 'fake-flickr-process.js'), [], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const pending = new Map();
  let nextId = 0;
  const ready = new Promise((resolve, reject) => {
    child.on('message', (m) => {
      if (m.ready) return resolve(m.ready);
      const p = pending.get(m.id);
      pending.delete(m.id);
      if (m.error) p?.reject(new Error(m.error));
      else p?.resolve(m.result);
    });
    child.on('exit', (code) => reject(new Error(`the fake Flickr exited (${code})`)));
  });
  const info = await ready;
  const rpc = (op, args = {}) =>
    new Promise((resolve, reject) => {
      const id = ++nextId;
      pending.set(id, { resolve, reject });
      child.send({ id, op, ...args });
    });
  return { ...info, child, rpc };
}

/** The environment of a gateway process of this run (limits on but high, short windows, see below). */
function gatewayEnv(env, fake, db, prefix) {
  return {
    ...env,
    ...(fake ? fakeFlickrEnv(fake) : {}),
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    SHUTDOWN_DRAIN_DELAY_MS: '0',
    AUTH_BCRYPT_COST: '10',
    MONGODB_DATABASE: db,
    REDIS_KEY_PREFIX: prefix,
    RATE_LIMIT_ENABLED: 'true',
    // Limits high enough that nothing is refused; 1 s windows keep each sliding-window log as
    // large as real traffic keeps it (≈ the limit: a few thousand entries), not minutes of
    // benchmark traffic.
    RATE_LIMIT_KEY_LIMIT: HIGH,
    RATE_LIMIT_KEY_WINDOW_MS: '1000',
    RATE_LIMIT_USER_READ_LIMIT: HIGH,
    RATE_LIMIT_USER_WRITE_LIMIT: HIGH,
    RATE_LIMIT_USER_WINDOW_MS: '1000',
    RATE_LIMIT_IP_LIMIT: HIGH,
    RATE_LIMIT_IP_WINDOW_MS: '1000',
    ...(fake
      ? { FLICKR_BUDGET_LIMIT: HIGH, FLICKR_BUDGET_WINDOW_MS: '1000', FLICKR_CACHE_TTL_OVERRIDES: `${UNCACHED_METHOD}=0` }
      : {}),
  };
}

const startGateway = (env, root = APP) => startServer([path.join(root, 'dist/main.js')], env, '/health/live', { cwd: root });

/** An admin key (the CLI of the build at `root`), then a client key and the registered bench user. */
const provision = (env, app, root = APP) => provisionClient(env, app.base, { root, userId: USER });

const stop = (...procs) => Promise.all(procs.filter(Boolean).map((p) => new Promise((resolve) => {
  // A process ended by a signal keeps exitCode null: check both.
  if (p.child.exitCode !== null || p.child.signalCode !== null) return resolve();
  p.child.once('exit', resolve);
  p.child.kill('SIGTERM');
  setTimeout(() => p.child.kill('SIGKILL'), 10_000).unref();
})));

/** Drops the run's databases and deletes its Redis keys. */
async function cleanUp(env, dbs, prefixes) {
  const { MongoClient } = require('mongodb');
  const Redis = require('ioredis');
  const mongo = new MongoClient(env.MONGODB_URI);
  try {
    await mongo.connect();
    for (const db of dbs) await mongo.db(db).dropDatabase().catch(() => {});
  } finally {
    await mongo.close();
  }
  const redis = new Redis(env.REDIS_URL, { lazyConnect: true });
  await redis.connect();
  for (const prefix of prefixes) {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.unlink(...keys);
    } while (cursor !== '0');
  }
  redis.disconnect();
}

/** The share of a V8 CPU profile's busy samples (all but `(idle)`) whose stack holds a function named in `names`. */
function profileShare(profile, names) {
  const parent = new Map();
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const memo = new Map();
  const inside = (id) => {
    if (memo.has(id)) return memo.get(id);
    const n = byId.get(id);
    const v = names.includes(n.callFrame.functionName) || (parent.has(id) && inside(parent.get(id)));
    memo.set(id, v);
    return v;
  };
  let busy = 0;
  let hits = 0;
  for (const id of profile.samples) {
    if (byId.get(id).callFrame.functionName === '(idle)') continue;
    busy++;
    if (inside(id)) hits++;
  }
  return { busy, hits, share: busy ? hits / busy : 0 };
}

/** Counts the requests answered by the measurements it wraps (`count(measure(...))`), in `n`. */
function tally() {
  const t = {
    n: 0,
    count: async (p) => {
      const r = await p;
      t.n += r.n;
      return r;
    },
  };
  return t;
}

/** Request-log records of the proxy route in the run's database (audit_logs holds batches, their records as JSON text). */
async function requestLogRecords(env, db) {
  const { MongoClient } = require('mongodb');
  const mongo = new MongoClient(env.MONGODB_URI);
  try {
    await mongo.connect();
    return await countRequestLogRecords(mongo.db(db).collection('audit_logs'), '/v1/users/:user_id/flickr/:method');
  } finally {
    await mongo.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Round trips from this process (Redis, MongoDB), as bench/rate-limit.js measures Redis

async function roundTrips(env) {
  const { MongoClient } = require('mongodb');
  const Redis = require('ioredis');
  const redis = new Redis(env.REDIS_URL);
  const mongo = new MongoClient(env.MONGODB_URI);
  await mongo.connect();
  const coll = mongo.db(`bench_rt_${RUN_ID}`).collection('docs');
  await coll.insertMany(Array.from({ length: 100 }, (_, i) => ({ _id: `doc-${i}`, v: 'x'.repeat(200) })));
  const sha = await redis.script('LOAD', "return redis.call('GET', KEYS[1])");
  let i = 0;
  const ops = {
    'Redis PING': () => redis.ping(),
    'Redis EVALSHA (one GET)': () => redis.evalsha(sha, 1, `bench-rt:${RUN_ID}:${i++ % 100}`),
    'MongoDB findOne by _id': () => coll.findOne({ _id: `doc-${i++ % 100}` }),
  };
  const seconds = Math.min(DURATION, 2);
  const rate = async (op, inFlight) => {
    let done = 0;
    const deadline = Date.now() + seconds * 1000;
    await Promise.all(Array.from({ length: inFlight }, async () => {
      while (Date.now() < deadline) {
        await op();
        done++;
      }
    }));
    return done / seconds;
  };
  const out = {};
  for (const [name, op] of Object.entries(ops)) {
    await rate(op, 1); // warm-up
    out[name] = { serialOps: await rate(op, 1), parallelOps: await rate(op, 50) };
  }
  await mongo.db(`bench_rt_${RUN_ID}`).dropDatabase();
  await mongo.close();
  redis.disconnect();
  return out;
}

// ---------------------------------------------------------------------------------------------
// The old build for issue 14's before/after

function ensureBeforeBuild() {
  if (existsSync(path.join(BEFORE_DIR, 'dist/main.js'))) return;
  console.log(`building ${BEFORE_REV} in ${BEFORE_DIR} (git worktree with its own node_modules, from its own lock file)...`);
  if (!existsSync(BEFORE_DIR)) execFileSync('git', ['worktree', 'add', '--detach', BEFORE_DIR, BEFORE_REV], { cwd: ROOT, stdio: 'inherit' });
  // Its own dependencies, not a symlink to this tree's: packages dropped since (e.g. opossum) must still load there.
  const modules = path.join(BEFORE_DIR, 'node_modules');
  if (existsSync(modules) && lstatSync(modules).isSymbolicLink()) rmSync(modules);
  execFileSync('bash', [path.join(BEFORE_DIR, 'scripts/node-deps.sh')], { cwd: BEFORE_DIR, stdio: 'inherit' });
  execFileSync(process.execPath, [path.join(BEFORE_DIR, 'node_modules/.bin/nest'), 'build'], { cwd: BEFORE_DIR, stdio: 'inherit' });
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const env = services();
  const results = { startedAt: new Date(), loadBefore: os.loadavg()[0], steal: stealMonitor() };
  const dbs = [];
  const prefixes = [];
  const procs = [];
  const track = (p) => (procs.push(p), p);
  let fake;
  try {
    const needsProxy = on('proxy') || on('uncached') || on('scale') || on('validation');
    let app;
    let bare;
    let floor;
    let floorPing;
    let floorRequired;
    let key;
    const db = `bench_proxy_${RUN_ID}`;
    const prefix = `bench:${RUN_ID}:`;
    const cachedPath = `/v1/users/${USER}/flickr/${CACHED_METHOD}`;
    const uncachedPath = `/v1/users/${USER}/flickr/${UNCACHED_METHOD}`;
    let body;

    if (on('health') || needsProxy) {
      if (needsProxy) {
        fake = await startFake();
        dbs.push(db);
        prefixes.push(prefix);
      }
      app = track(await startGateway(gatewayEnv(env, fake, db, prefix)));
    }
    if (needsProxy) {
      key = await provision(gatewayEnv(env, fake, db, prefix), app);
      await connectViaOob(app.base, key.api_key, USER, { perms: 'read' });
      body = JSON.stringify({ photo_id: fake.photoId });
      // Two calls: the first fills the cache, the second is a hit whose bytes and headers the baseline serves.
      const call = () => fetch(`${app.base}${cachedPath}`, { method: 'POST', headers: { 'x-api-key': key.api_key, 'content-type': 'application/json' }, body });
      await call();
      const hit = await call();
      const text = await hit.text();
      if (hit.status !== 200 || JSON.parse(text).stat !== 'ok') throw new Error(`the cached read answered ${hit.status}: ${text}`);
      const skip = new Set(['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding']);
      const headers = Object.fromEntries([...hit.headers].filter(([h]) => !skip.has(h)));
      const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'fgw-bench-')), 'proxy-response.json');
      writeFileSync(file, JSON.stringify({ headers, body: text }));
      results.proxyResponse = { bytes: Buffer.byteLength(text), headers: Object.keys(headers).length };
      bare = track(await startServer([path.join(__dirname, 'bare-fastify.js')], { BENCH_PROXY_RESPONSE: file }));
      // The floor of (2), reported beside it: minimal NestJS, the one rate-limit round trip, the same bytes (bench/minimal-nest.js).
      if (on('proxy')) {
        const floorPrefix = `${prefix}floor:`;
        const floorEnv = { BENCH_PROXY_RESPONSE: file, BENCH_FLOOR_APP: APP, REDIS_URL: env.REDIS_URL, REDIS_KEY_PREFIX: floorPrefix };
        floor = track(await startServer([path.join(__dirname, 'minimal-nest.js')], floorEnv));
        floorPing = track(await startServer([path.join(__dirname, 'minimal-nest.js')], { ...floorEnv, BENCH_FLOOR_PING: '1' }));
        // The required-work floor of (2) and (3) (bench/minimal-nest.js, BENCH_FLOOR_REQUIRED): its audit goes to a
        // database of its own, so the gateway's request-log count below stays its own.
        dbs.push(`${db}_floor`);
        floorRequired = track(await startServer([path.join(__dirname, 'minimal-nest.js')], {
          ...floorEnv, BENCH_FLOOR_REQUIRED: '1', MONGODB_URI: env.MONGODB_URI, MONGODB_DATABASE: `${db}_floor`,
          BENCH_FLOOR_API_KEY: key.api_key, BENCH_FLOOR_KEY_ID: key.key_id, BENCH_FLOOR_SIGNING_SECRET: key.signing_secret, BENCH_FLOOR_CLIENT_ID: 'bench',
        }));
      }
    } else if (on('health')) {
      bare = track(await startServer([path.join(__dirname, 'bare-fastify.js')], {}));
    }

    // (1)
    if (on('health')) {
      console.log('\n(1) GET /health/live: app vs bare Fastify');
      const url = (t) => `${t.base}/health/live`;
      // The framework's floor beside them: the smallest NestJS + Fastify app (bench/minimal-nest.js), reported only.
      const nest = track(await startServer([path.join(__dirname, 'minimal-nest.js')], {}));
      // And the required-work floor: the same app adding only what every response must carry (security headers,
      // request id, latency metric; bench/minimal-nest.js, BENCH_FLOOR_REQUIRED).
      const nestRequired = track(await startServer([path.join(__dirname, 'minimal-nest.js')], { BENCH_FLOOR_REQUIRED: '1', BENCH_FLOOR_APP: APP }));
      results.health = await alternate('health', {
        app: (w) => measure(url(app), { pids: [app.child.pid], ...(w && { duration: WARMUP }) }),
        bare: (w) => measure(url(bare), { pids: [bare.child.pid], ...(w && { duration: WARMUP }) }),
        nest: (w) => measure(url(nest), { pids: [nest.child.pid], ...(w && { duration: WARMUP }) }),
        nestRequired: (w) => measure(url(nestRequired), { pids: [nestRequired.child.pid], ...(w && { duration: WARMUP }) }),
      });
      await stop(nest, nestRequired);
    }

    // (2) and (3)
    const keyHeaders = () => ({ 'x-api-key': key.api_key, 'content-type': 'application/json' });
    const cachedRead = (target, extra = {}) => measure(target.base, { method: 'POST', body, ...extra, requests: [{ path: cachedPath, method: 'POST', body, headers: keyHeaders() }] });
    // (3)'s requests are signed by the client, each with a fresh nonce. The client of a real gateway runs elsewhere; here
    // it shares the two cores with the server, and signing inside the timed round cost the load generator ≈ 45 µs of
    // CPU per request (77 against 31 µs for the key header, sixth round in docs/performance.md), taken from the server
    // under test. So each round's requests are signed just before it (timestamps stay well inside the allowed skew),
    // and the load generator only takes the next set of headers; should a round outrun the pool, it signs on the spot.
    const sign = () => signedHeaders({ keyId: key.key_id, signingSecret: key.signing_secret, method: 'POST', url: cachedPath, body });
    const hmacRequest = (warm) => {
      const pool = Array.from({ length: 12_000 * (warm ? WARMUP : DURATION) }, sign);
      let next = 0;
      return {
        path: cachedPath,
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json' },
        setupRequest: (req) => {
          req.headers = { ...req.headers, ...(pool[next++] ?? sign()) };
          return req;
        },
      };
    };
    if (on('proxy')) {
      console.log(`\n(2)(3) POST ${cachedPath} (cache hit): X-API-Key / HMAC vs bare Fastify`);
      const hmacProbe = await fetch(`${app.base}${cachedPath}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...signedHeaders({ keyId: key.key_id, signingSecret: key.signing_secret, method: 'POST', url: cachedPath, body }) },
        body,
      });
      if (hmacProbe.status !== 200) throw new Error(`the signed probe answered ${hmacProbe.status}: ${await hmacProbe.text()}`);
      const upstreamBefore = await fake.rpc('callsTo', { method: CACHED_METHOD });
      const logsBefore = await requestLogRecords(env, db);
      const w = (warm) => (warm ? { duration: WARMUP } : {});
      const answered = tally();
      const counted = answered.count;
      const floorAnswered = tally();
      const floorCounted = floorAnswered.count;
      // Where the whole machine's CPU goes per request (both sides share the two cores with the load generator,
      // Redis and the database): the evidence for what a ratio can reach on this machine.
      const groups = (server) => ({
        server: (p) => p.pid === server.child.pid,
        'load generator': (p) => p.pid === process.pid,
        redis: (p) => p.comm.startsWith('redis-server'),
        ferretdb: (p) => p.comm === 'ferretdb',
        postgresql: (p) => p.comm.startsWith('postgres'),
      });
      results.proxy = await alternate('proxy', {
        key: (warm) => counted(cachedRead(app, { pids: [app.child.pid], breakdown: groups(app), ...w(warm) })),
        bare: (warm) => cachedRead(bare, { pids: [bare.child.pid], breakdown: groups(bare), ...w(warm) }),
        hmac: (warm) => counted(measure(app.base, { pids: [app.child.pid], breakdown: groups(app), requests: [hmacRequest(warm)], ...w(warm) })),
        floor: (warm) => cachedRead(floor, { pids: [floor.child.pid], breakdown: groups(floor), ...w(warm) }),
        floorPing: (warm) => cachedRead(floorPing, { pids: [floorPing.child.pid], breakdown: groups(floorPing), ...w(warm) }),
        floorRequired: (warm) => floorCounted(cachedRead(floorRequired, { pids: [floorRequired.child.pid], breakdown: groups(floorRequired), ...w(warm) })),
        floorRequiredHmac: (warm) => floorCounted(measure(floorRequired.base, { pids: [floorRequired.child.pid], breakdown: groups(floorRequired), requests: [hmacRequest(warm)], ...w(warm) })),
      });
      // The required-work floor must have done its audit: every answered call a record (it writes once a second).
      await new Promise((r) => setTimeout(r, 2500));
      results.proxyFloorAudit = { records: await requestLogRecords(env, `${db}_floor`), answered: floorAnswered.n };
      console.log(`  request-log records of the required-work floor: ${results.proxyFloorAudit.records} for ${floorAnswered.n} answered calls`);
      await stop(floor, floorPing, floorRequired);
      for (const side of ['key', 'hmac', 'bare', 'floor', 'floorPing', 'floorRequired', 'floorRequiredHmac']) {
        const parts = Object.keys(results.proxy[side][0].machine);
        const mean = Object.fromEntries(parts.map((k) => [k, avg(results.proxy[side].map((r) => r.machine), k)]));
        results.proxy[`${side}Machine`] = mean;
        console.log(`  machine CPU per request, ${side}: ${parts.map((k) => `${k} ${mean[k].toFixed(0)} µs`).join(', ')}`);
      }
      results.proxyUpstreamCalls = (await fake.rpc('callsTo', { method: CACHED_METHOD })) - upstreamBefore;
      console.log(`  upstream calls of ${CACHED_METHOD} during these rounds: ${results.proxyUpstreamCalls} (a cache hit makes none)`);
      // The request log is written in batches (AUDIT_FLUSH_INTERVAL_MS, 1 s by default): give it time, then count.
      await new Promise((r) => setTimeout(r, 3000));
      results.proxyAudit = { records: (await requestLogRecords(env, db)) - logsBefore, answered: answered.n };
      console.log(`  request-log records of the proxy route: ${results.proxyAudit.records} for ${answered.n} answered calls`);
    }

    // (4)
    if (on('uncached')) {
      console.log(`\n(4) POST ${uncachedPath} (cache TTL 0) vs the same signed call to the fake Flickr, at ${RATE} req/s`);
      const token = await fake.rpc('issueToken', { perms: 'read' });
      const direct = await directSigner(fake, token);
      const fixedRate = (base, targets, warm, pid) => paced(base, targets, warm ? WARMUP : DURATION, [pid]);
      const probe = await direct.probe();
      if (probe.stat !== 'ok') throw new Error(`the direct call to the fake answered ${JSON.stringify(probe)}`);
      const upstreamBefore = await fake.rpc('callsTo', { method: UNCACHED_METHOD });
      const sent = tally();
      const counted = sent.count;
      // The floor of (4): bare Fastify forwarding signed calls made in advance (bench/bare-fastify.js, BENCH_FORWARD).
      const forwardFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'fgw-bench-forward-')), 'forward.json');
      writeFileSync(forwardFile, JSON.stringify({ origin: fake.url, paths: direct.take(RATE * (WARMUP + 1) + RATE * (DURATION + 1) * ROUNDS) }));
      const forward = track(await startServer([path.join(__dirname, 'bare-fastify.js')], { BENCH_FORWARD: forwardFile }));
      // The required-work floor of (4) (bench/bare-fastify.js, BENCH_FORWARD_REQUIRED): each call signed afresh.
      const requiredFile = path.join(path.dirname(forwardFile), 'required.json');
      writeFileSync(requiredFile, JSON.stringify({
        origin: fake.url, apiKey: key.api_key, consumerKey: fake.consumerKey, consumerSecret: fake.consumerSecret,
        oauthToken: token.oauthToken, oauthTokenSecret: token.oauthTokenSecret, photoId: fake.photoId, method: UNCACHED_METHOD,
      }));
      const forwardRequired = track(await startServer([path.join(__dirname, 'bare-fastify.js')], { BENCH_FORWARD_REQUIRED: requiredFile, BENCH_FLOOR_APP: APP, REDIS_URL: env.REDIS_URL }));
      results.uncached = await alternate('uncached', {
        gateway: (warm) => counted(fixedRate(app.base, [{ path: uncachedPath, method: 'POST', body, headers: keyHeaders() }], warm, app.child.pid)),
        // Each its own nonce: one signed request per call of the round (the fake refuses a replayed nonce).
        direct: (warm) => counted(fixedRate(fake.url, direct.take(RATE * (warm ? WARMUP : DURATION) + RATE).map((p) => ({ method: 'GET', path: p })), warm, fake.child.pid)),
        forward: (warm) => counted(fixedRate(forward.base, [{ path: uncachedPath, method: 'POST', body, headers: { 'content-type': 'application/json' } }], warm, forward.child.pid)),
        forwardRequired: (warm) => counted(fixedRate(forwardRequired.base, [{ path: uncachedPath, method: 'POST', body, headers: keyHeaders() }], warm, forwardRequired.child.pid)),
      });
      await stop(forward, forwardRequired);
      rmSync(path.dirname(forwardFile), { recursive: true, force: true });
      results.uncachedUpstream = { reached: (await fake.rpc('callsTo', { method: UNCACHED_METHOD })) - upstreamBefore, sent: sent.n };
      console.log(`  calls that reached the fake: ${results.uncachedUpstream.reached} of ${sent.n} answered (gateway and direct: each must reach it)`);
    }

    // Scaling out
    if (on('scale')) {
      console.log(`\nscale: POST ${cachedPath} (cache hit, X-API-Key) on one vs two API processes`);
      const second = track(await startGateway(gatewayEnv(env, fake, db, prefix)));
      // A fresh process answers its first calls slowly (connections, verification cache, JIT): a few before any timing.
      for (let i = 0; i < 50; i++) {
        const res = await fetch(`${second.base}${cachedPath}`, { method: 'POST', headers: keyHeaders(), body });
        if (res.status !== 200) throw new Error(`the second process answered ${res.status}: ${await res.text()}`);
      }
      const reqs = [{ path: cachedPath, method: 'POST', body, headers: keyHeaders() }];
      const half = Math.max(1, Math.floor(CONNECTIONS / 2));
      results.scale = await alternate('scale', {
        one: (warm) => measure(app.base, { requests: reqs, pids: [app.child.pid], ...(warm && { duration: WARMUP }) }),
        two: async (warm) => {
          const d = warm ? { duration: WARMUP } : {};
          const [a, b] = await Promise.all([
            measure(app.base, { requests: reqs, connections: CONNECTIONS - half, pids: [app.child.pid], ...d }),
            measure(second.base, { requests: reqs, connections: half, pids: [second.child.pid], ...d }),
          ]);
          return { rps: a.rps + b.rps, p50: Math.max(a.p50, b.p50), p99: Math.max(a.p99, b.p99), cpuUsPerReq: (a.cpuUsPerReq * a.n + b.cpuUsPerReq * b.n) / (a.n + b.n), n: a.n + b.n };
        },
      });
      await stop(second);
      console.log('  round trips from this process (1 in flight, then 50 in flight)...');
      results.roundTrips = await roundTrips(env);
      for (const [name, r] of Object.entries(results.roundTrips)) {
        console.log(`  ${name.padEnd(24)} ${(1e6 / r.serialOps).toFixed(0)} µs each (1 in flight), ${r.parallelOps.toFixed(0)} ops/s (50 in flight)`);
      }
    }

    await stop(app, bare);

    // (5) issue 14
    if (on('pipeline')) {
      ensureBeforeBuild();
      console.log(`\n(5) GET /v1/users/${USER} with an API key: ${BEFORE_REV} (before the pipeline work) vs this build`);
      const sides = {};
      const keys = {};
      for (const [name, root] of [['before', BEFORE_DIR], ['after', APP]]) {
        const pdb = `bench_pipeline_${name}_${RUN_ID}`;
        const pprefix = `bench:${RUN_ID}:${name}:`;
        dbs.push(pdb);
        prefixes.push(pprefix);
        const penv = gatewayEnv(env, null, pdb, pprefix);
        sides[name] = track(await startGateway(penv, root));
        keys[name] = (await provision(penv, sides[name], root)).api_key;
      }
      results.pipeline = await alternate('pipeline', Object.fromEntries(['after', 'before'].map((name) => [
        name,
        (warm) => measure(`${sides[name].base}/v1/users/${USER}`, { headers: { 'x-api-key': keys[name] }, pids: [sides[name].child.pid], ...(warm && { duration: WARMUP }) }),
      ])));
      await stop(sides.before, sides.after);
    }

    // (6) issue 16
    if (on('validation')) {
      const { validateFlickrCall, assertFlickrPermission } = require(path.join(APP, 'dist/flickr/flickr-proxy.validation'));
      const parsed = JSON.parse(body);
      const once = () => {
        const call = validateFlickrCall(CACHED_METHOD, parsed);
        assertFlickrPermission(call.method, USER, 'read');
      };
      for (let i = 0; i < 20_000; i++) once();
      const samples = [];
      for (let s = 0; s < 5; s++) {
        const n = 100_000;
        const t0 = process.hrtime.bigint();
        for (let i = 0; i < n; i++) once();
        samples.push(Number(process.hrtime.bigint() - t0) / 1e3 / n);
      }
      samples.sort((a, b) => a - b);
      results.validation = { usPerCall: samples[Math.floor(samples.length / 2)] };
      console.log(`\n(6) catalogue validation alone: ${results.validation.usPerCall.toFixed(2)} µs per call (median of 5 × 100,000)`);
      // The same, inside a gateway serving (2): a CPU profile of a gateway process (its own, profiling slows it) and the
      // share of its busy samples spent in the validation functions (with what they call).
      const dir = mkdtempSync(path.join(os.tmpdir(), 'fgw-bench-prof-'));
      const profiled = track(await startServer(['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-interval', '100', path.join(APP, 'dist/main.js')], gatewayEnv(env, fake, db, prefix), '/health/live', { cwd: APP }));
      for (let i = 0; i < 50; i++) await fetch(`${profiled.base}${cachedPath}`, { method: 'POST', headers: keyHeaders(), body }).then((r) => r.text());
      // BENCH_PROFILE_HEALTH=1 (with BENCH_KEEP_PROFILE): profile /health/live instead, to study the pipeline's floor.
      // BENCH_PROFILE_UNCACHED=1: profile the uncached read of (4) at its fixed rate instead; BENCH_PROFILE_HMAC=1: the read of (3).
      const r = process.env.BENCH_PROFILE_HEALTH
        ? await measure(`${profiled.base}/health/live`, {})
        : process.env.BENCH_PROFILE_UNCACHED
          ? await paced(profiled.base, [{ path: uncachedPath, method: 'POST', body, headers: keyHeaders() }], DURATION)
          : process.env.BENCH_PROFILE_HMAC
            ? await measure(profiled.base, { requests: [hmacRequest()] })
            : await cachedRead(profiled, {});
      await stop(profiled);
      const file = require('node:fs').readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
      if (!file) throw new Error('the profiled gateway wrote no CPU profile');
      results.validation.profile = { ...profileShare(JSON.parse(readFileSync(path.join(dir, file), 'utf8')), ['validateFlickrCall', 'assertFlickrPermission']), rps: r.rps };
      // BENCH_KEEP_PROFILE=<dir>: keep the profile to study it (e.g. with bench/profile-top.js).
      if (process.env.BENCH_KEEP_PROFILE) require('node:fs').copyFileSync(path.join(dir, file), path.join(process.env.BENCH_KEEP_PROFILE, 'proxy-read.cpuprofile'));
      require('node:fs').rmSync(dir, { recursive: true, force: true });
      const pr = results.validation.profile;
      console.log(`    in a profiled gateway serving (2) (${r.rps.toFixed(0)} req/s): ${pr.hits} of ${pr.busy} busy samples (${(pr.share * 100).toFixed(3)} %)`);
    }
  } finally {
    await stop(...procs);
    if (fake) {
      await fake.rpc('close').catch(() => {});
      fake.child.kill('SIGTERM');
    }
    await cleanUp(env, dbs, prefixes).catch((e) => console.error(`clean-up: ${e.message}`));
  }
  return results;
}

/**
 * Signs `flickr.photos.getSizes` for the fake with flickr-sdk (the library the gateway signs with),
 * capturing the request instead of sending it; a pool signed ahead, each with its own nonce, so
 * the load generator only picks the next one.
 */
async function directSigner(fake, token) {
  const { createFlickr, FetchTransport } = require('flickr-sdk');
  let captured;
  class Capture extends FetchTransport {
    fetch(url) {
      captured = url;
      return Promise.resolve(new Response('{"stat":"ok"}', { headers: { 'content-type': 'application/json' } }));
    }
  }
  const { flickr } = createFlickr({ consumerKey: fake.consumerKey, consumerSecret: fake.consumerSecret, oauthToken: token.oauthToken, oauthTokenSecret: token.oauthTokenSecret }, new Capture());
  const pool = [];
  // Enough for every round of (4) and its warm-up, direct and through the forwarding floor, no nonce sent twice.
  const size = 2 * (RATE * (DURATION + 1) + RATE * (WARMUP + 1)) * (ROUNDS + 1);
  for (let i = 0; i < size; i++) {
    await flickr(UNCACHED_METHOD, { photo_id: fake.photoId });
    const u = new URL(captured);
    pool.push(`${u.pathname}${u.search}`);
  }
  let i = 0;
  return {
    next: () => pool[i++ % pool.length],
    take: (n) => Array.from({ length: n }, () => pool[i++ % pool.length]),
    probe: () => fetch(`${fake.url}${pool[0]}`).then((r) => r.json()),
  };
}

// ---------------------------------------------------------------------------------------------
// Verdicts, table, docs

function verdicts(r) {
  const rows = [];
  const check = (name, value, ok, target, detail) => rows.push({ name, value, ok, target, detail });
  if (r.health) {
    const ratio = avg(r.health.app, 'rps') / avg(r.health.bare, 'rps');
    check('(1) GET /health/live, app / bare Fastify', ratio.toFixed(3), ratio >= TARGETS.health, `≥ ${TARGETS.health}`,
      `app ${side(r.health.app)}; bare ${side(r.health.bare)}`);
    if (r.health.nest) {
      const floor = avg(r.health.nest, 'rps') / avg(r.health.bare, 'rps');
      check('(1) floor: minimal NestJS + Fastify / bare', floor.toFixed(3), true, 'reported',
        `minimal NestJS ${side(r.health.nest)}; the gateway reaches ${(ratio / floor).toFixed(3)} of it`);
    }
    if (r.health.nestRequired) {
      const floor = avg(r.health.nestRequired, 'rps') / avg(r.health.bare, 'rps');
      check('(1) required-work floor / bare', floor.toFixed(3), true, 'reported',
        `${floor >= TARGETS.health ? 'at or above' : '**below**'} (1)'s target of ${TARGETS.health}; minimal NestJS + the API's security headers, a request id and the latency metric, nothing else: ${side(r.health.nestRequired)}; ` +
          `the gateway reaches ${(ratio / floor).toFixed(3)} of it`);
    }
  }
  if (r.proxy) {
    const bare = avg(r.proxy.bare, 'rps');
    const k = avg(r.proxy.key, 'rps') / bare;
    const h = avg(r.proxy.hmac, 'rps') / bare;
    // Checked, not assumed: answered from the cache (at most one upstream call per round, for a lifetime running out) and
    // logged (a record per answered call; the buffer drops nothing at these rates).
    const cached = r.proxyUpstreamCalls <= ROUNDS + 1;
    const audited = r.proxyAudit.records >= r.proxyAudit.answered;
    check('(2) cached proxy read (X-API-Key) / bare', k.toFixed(3), k >= TARGETS.key && cached && audited, `≥ ${TARGETS.key}`,
      `gateway ${side(r.proxy.key)}; bare ${side(r.proxy.bare)}; ${r.proxyUpstreamCalls} upstream calls; ` +
        `${r.proxyAudit.records} request-log records for ${r.proxyAudit.answered} answered calls of (2) and (3)` +
        (r.proxy.keyMachine ? `; machine CPU per request (all processes): gateway ${machineLine(r.proxy.keyMachine)}; bare ${machineLine(r.proxy.bareMachine)}` : ''));
    check('(3) cached proxy read (HMAC) / bare', h.toFixed(3), h >= TARGETS.hmac, `≥ ${TARGETS.hmac}`, `gateway ${side(r.proxy.hmac)}; bare as (2)` +
      (r.proxy.hmacMachine ? `; machine CPU per request: gateway ${machineLine(r.proxy.hmacMachine)}` : ''));
    if (r.proxy.floor) {
      const floor = avg(r.proxy.floor, 'rps') / bare;
      check('(2) floor: minimal NestJS + one rate-limit round trip / bare', floor.toFixed(3), true, 'reported',
        `minimal NestJS answering the same bytes after the rate-limit script (key and user windows), nothing else: ${side(r.proxy.floor)}; ` +
          `the gateway reaches ${(k / floor).toFixed(3)} of it` + (r.proxy.floorMachine ? `; machine CPU per request: ${machineLine(r.proxy.floorMachine)}` : ''));
    }
    if (r.proxy.floorPing) {
      const ping = avg(r.proxy.floorPing, 'rps') / bare;
      check('(2) floor with a PING for the round trip / bare', ping.toFixed(3), true, 'reported',
        `the same minimal NestJS with a PING instead of the limiter's script: ${side(r.proxy.floorPing)}` +
          (r.proxy.floorPingMachine ? `; machine CPU per request: ${machineLine(r.proxy.floorPingMachine)}` : ''));
    }
    if (r.proxy.floorRequired) {
      const fk = avg(r.proxy.floorRequired, 'rps') / bare;
      const fh = avg(r.proxy.floorRequiredHmac, 'rps') / bare;
      // A floor that skipped its audit would be no floor: say so rather than report it.
      const audit = r.proxyFloorAudit;
      const valid = audit.records >= audit.answered;
      const where = (v, t, n) =>
        valid ? `${v >= t ? 'at or above' : '**below**'} ${n}'s target of ${t}; ` : `**not a valid floor: ${audit.records} audit records for ${audit.answered} calls**; `;
      check('(2) required-work floor / bare', fk.toFixed(3), true, 'reported',
        `${where(fk, TARGETS.key, '(2)')}minimal NestJS doing only the required work, each part the cheapest way (per-response headers, request id, metric; ` +
          `the key looked up by its SHA-256; a PING for the limiter's round trip; the audit record batched to the database): ` +
          `${side(r.proxy.floorRequired)}; the gateway reaches ${(k / fk).toFixed(3)} of it; machine CPU per request: ${machineLine(r.proxy.floorRequiredMachine)}; ` +
          `${audit.records} request-log records for ${audit.answered} answered calls of both floors`);
      check('(3) required-work floor (HMAC) / bare', fh.toFixed(3), true, 'reported',
        `${where(fh, TARGETS.hmac, '(3)')}the same with the signature checked and the nonce claimed (SET NX, the one round trip, standing for the limiter's too): ${side(r.proxy.floorRequiredHmac)}; ` +
          `the gateway reaches ${(h / fh).toFixed(3)} of it; machine CPU per request: ${machineLine(r.proxy.floorRequiredHmacMachine)}`);
    }
  }
  if (r.uncached) {
    const g = r.uncached.gateway;
    const d = r.uncached.direct;
    const added50 = avg(g, 'p50') - avg(d, 'p50');
    const added99 = avg(g, 'p99') - avg(d, 'p99');
    const allReached = r.uncachedUpstream.reached >= r.uncachedUpstream.sent;
    // A latency "at 200 req/s" only counts if the gateway kept up with 200 req/s (vegeta reports the rate of successful answers).
    const keptUp = avg(g, 'rps') >= RATE * 0.95;
    check(`(4) uncached read at ${RATE} req/s, added p99`, `${added99.toFixed(2)} ms`, added99 <= TARGETS.addedP99Ms && allReached && keptUp, `≤ ${TARGETS.addedP99Ms} ms`,
      `added p50 ${added50.toFixed(2)} ms; gateway p50 ${fmtMs(avg(g, 'p50'))} p99 ${fmtMs(avg(g, 'p99'))}; direct p50 ${fmtMs(avg(d, 'p50'))} p99 ${fmtMs(avg(d, 'p99'))}` +
        (allReached ? '' : `; only ${r.uncachedUpstream.reached} of ${r.uncachedUpstream.sent} calls reached Flickr`) +
        (keptUp ? '' : `; the gateway kept up with only ${avg(g, 'rps').toFixed(0)} of ${RATE} req/s`));
    if (r.uncached.forward) {
      const f = r.uncached.forward;
      check(`(4) floor: bare Fastify forwarding, added p99`, `${(avg(f, 'p99') - avg(d, 'p99')).toFixed(2)} ms`, true, 'reported',
        `bare Fastify that only forwards calls signed in advance to the fake (Node's fetch) and answers its bytes, at the same rate: added p50 ` +
          `${(avg(f, 'p50') - avg(d, 'p50')).toFixed(2)} ms; forward p50 ${fmtMs(avg(f, 'p50'))} p99 ${fmtMs(avg(f, 'p99'))}`);
    }
    if (r.uncached.forwardRequired) {
      const f = r.uncached.forwardRequired;
      const added = avg(f, 'p99') - avg(d, 'p99');
      check(`(4) required-work floor, added p99`, `${added.toFixed(2)} ms`, true, 'reported',
        `${added > TARGETS.addedP99Ms ? '**above**' : 'within'} (4)'s target of ${TARGETS.addedP99Ms} ms; bare Fastify doing only the required work ` +
          `(headers and request id, the key by its SHA-256, one Redis round trip for limiter and budget, the call signed afresh with flickr-sdk ` +
          `and sent on a keep-alive pool), same rate: added p50 ${(avg(f, 'p50') - avg(d, 'p50')).toFixed(2)} ms; p50 ${fmtMs(avg(f, 'p50'))} p99 ${fmtMs(avg(f, 'p99'))}`);
    }
  }
  if (r.scale) {
    const ratio = avg(r.scale.two, 'rps') / avg(r.scale.one, 'rps');
    check('scale: two API processes / one', ratio.toFixed(3), true, 'reported', `one ${side(r.scale.one)}; two ${side(r.scale.two)}`);
  }
  if (r.pipeline) {
    const per = r.pipeline.after.map((a, i) => a.rps / r.pipeline.before[i].rps);
    const ratio = avg(r.pipeline.after, 'rps') / avg(r.pipeline.before, 'rps');
    const noise = Math.max(TARGETS.pipelineMinNoise, (2 * sd(per)) / Math.sqrt(per.length));
    r.pipelineNoise = noise;
    check('(5) GET /v1/users/:id, after / before pipeline', ratio.toFixed(3), ratio >= 1 - noise, `≥ ${(1 - noise).toFixed(3)} (1 − noise)`,
      `after ${side(r.pipeline.after)}; before (${BEFORE_REV}) ${side(r.pipeline.before)}`);
  }
  if (r.validation) {
    // Without the proxy section there is no CPU time per request to put the loop against: the profile alone decides.
    const cpu = r.proxy ? avg(r.proxy.key, 'cpuUsPerReq') : NaN;
    const share = r.proxy ? r.validation.usPerCall / cpu : 0;
    r.validationShare = share;
    const prof = r.validation.profile;
    const worst = Math.max(share, prof.share);
    check('(6) catalogue validation / request CPU', `${(worst * 100).toFixed(2)} %`, worst <= TARGETS.validationShare, `≤ ${TARGETS.validationShare * 100} %`,
      `alone in a loop ${r.validation.usPerCall.toFixed(2)} µs` +
        (r.proxy ? ` vs ${cpu.toFixed(0)} µs CPU per request of (2) = ${(share * 100).toFixed(3)} %; ` : ' (no (2) in this run to set it against); ') +
        `in a CPU profile of a gateway serving (2): ${prof.hits} of ${prof.busy} busy samples = ${(prof.share * 100).toFixed(3)} %; ` +
        `so with/without validation ≥ ${(1 - worst).toFixed(3)}`);
  }
  return rows;
}

const side = (rs) => `${avg(rs, 'rps').toFixed(0)} req/s, p99 ${fmtMs(avg(rs, 'p99'))}${rs[0]?.cpuUsPerReq !== undefined ? `, ${avg(rs, 'cpuUsPerReq').toFixed(0)} µs CPU/req` : ''}`;

/** The commit of the build under test, and whether its tree had uncommitted changes to src/. */
function build() {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: APP, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: APP, encoding: 'utf8' }).trim() !== '';
    return `\`${sha}\`${dirty ? ' with uncommitted changes in src/' : ''}`;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

function machine() {
  const cpu = (readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.*)$/m) ?? [])[1] ?? os.cpus()[0]?.model;
  return { nproc: os.availableParallelism(), cpu, memGiB: (os.totalmem() / 2 ** 30).toFixed(1), node: process.version };
}

/** The steal of the run so far, as a sentence fragment. */
function stealLine(r) {
  const { share, maxSecondShare } = r.steal.now();
  return `${(share * 100).toFixed(1)} % of all CPU time over the run, at most ${(maxSecondShare * 100).toFixed(0)} % in one second`;
}

function markdown(r, rows) {
  const m = machine();
  const lines = [
    '<!-- bench:start -->',
    `_Written by \`node bench/run.js ${process.argv.slice(2).join(' ')}\` on ${r.startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC; ` +
      'rewritten by every `--write` run, do not edit by hand._',
    '',
    `Machine: ${m.nproc} cores (\`nproc\`), ${m.cpu}, ${m.memGiB} GiB memory, Node ${m.node}; load generator (autocannon), ` +
      'gateway, baseline, fake Flickr, FerretDB, Redis and OpenBao all on this one machine. ' +
      `Load average (1 min) ${r.loadBefore.toFixed(1)} at the start and ${os.loadavg()[0].toFixed(1)} at the end: ` +
      'anything above ~2 is other work sharing the two cores during the run. ' +
      `CPU time taken by the hypervisor (steal): ${stealLine(r)}.`,
    `Build under test: ${build()}.`,
    `Settings: ${CONNECTIONS} connections (10 for the fixed-rate run), ${ROUNDS} alternating rounds of ${DURATION} s per side ` +
      `after a discarded ${WARMUP} s warm-up; sections: ${ONLY.join(', ')}.`,
    '',
    '| measurement | result | target | met | details (mean of rounds) |',
    '| --- | --- | --- | --- | --- |',
    ...rows.map((x) => `| ${x.name} | ${x.value} | ${x.target} | ${x.target === 'reported' || x.target === 'needs proxy' ? '—' : x.ok ? 'yes' : '**no**'} | ${x.detail} |`),
  ];
  if (r.roundTrips) {
    const rate = avg(r.scale.one, 'rps');
    lines.push('', '### Scaling out', '',
      `Scenario (2) on one API process: ${rate.toFixed(0)} req/s; on two processes sharing Redis and the database, in the same run: ` +
        `${avg(r.scale.two, 'rps').toFixed(0)} req/s (×${(avg(r.scale.two, 'rps') / rate).toFixed(2)}). On this 2-core machine the load ` +
        'generator, both API processes, Redis and FerretDB share the two cores, so a second process gains only what the first leaves idle; ' +
        'on separate hosts each process brings its own cores.',
      '',
      'What one round trip costs, measured from the benchmark process (Node, ioredis, the MongoDB driver), set against the rate of (2) ' +
        `(${rate.toFixed(0)} req/s: one request every ${(1e6 / rate).toFixed(0)} µs of machine time):`,
      '',
      '| round trip | latency, 1 in flight | throughput, 50 in flight | capacity it takes per request at the rate of (2) |',
      '| --- | --- | --- | --- |',
      ...Object.entries(r.roundTrips).map(([name, x]) =>
        `| ${name} | ${(1e6 / x.serialOps).toFixed(0)} µs | ${x.parallelOps.toFixed(0)} ops/s (${(1e6 / x.parallelOps).toFixed(1)} µs each) | ${((rate / x.parallelOps) * 100).toFixed(1)} % |`),
      '',
      'Read the last column as: each such round trip a request makes uses that share of what this machine can do in round trips ' +
        'of that kind while serving (2) at its measured rate.');
  }
  lines.push('<!-- bench:end -->');
  return lines.join('\n');
}

function writeDocs(block) {
  const file = path.join(ROOT, 'docs/performance.md');
  const header = '# Performance\n\n## Hot path (`npm run bench`)\n\n### Results\n';
  let doc = existsSync(file) ? readFileSync(file, 'utf8') : `${header}\n`;
  const start = doc.indexOf('<!-- bench:start -->');
  const end = doc.indexOf('<!-- bench:end -->');
  if (start >= 0 && end > start) doc = doc.slice(0, start) + block + doc.slice(end + '<!-- bench:end -->'.length);
  else {
    const other = doc.indexOf('## Local database');
    doc = other >= 0 ? `${doc.slice(0, other)}${block}\n\n${doc.slice(other)}` : `${doc.trimEnd()}\n\n${block}\n`;
  }
  writeFileSync(file, doc);
  console.log(`\nwrote the results into ${path.relative(ROOT, file)}`);
}

// A run must end with its verdict: an event loop that drains first (a promise nobody settles) is a failure, not a pass.
process.on('beforeExit', () => {
  console.error('bench/run.js: stopped before it finished');
  process.exit(3);
});

main()
  .then((r) => {
    const rows = verdicts(r);
    console.log('\n' + '-'.repeat(100));
    for (const x of rows) {
      const mark = x.target === 'reported' || x.target === 'needs proxy' ? '    ' : x.ok ? ' ok ' : 'MISS';
      console.log(`${mark} ${x.name.padEnd(48)} ${String(x.value).padStart(10)}  target ${x.target}\n       ${x.detail}`);
    }
    console.log(`\nload average (1 min) ${r.loadBefore.toFixed(1)} at the start, ${os.loadavg()[0].toFixed(1)} at the end; CPU time taken by the hypervisor (steal): ${stealLine(r)}`);
    if (WRITE) writeDocs(markdown(r, rows));
    const missed = rows.filter((x) => !x.ok);
    console.log(missed.length ? `\n${missed.length} target(s) missed` : '\nall targets met');
    process.exit(missed.length ? 1 : 0);
  })
  .catch((err) => {
    console.error(err);
    process.exit(2);
  });
