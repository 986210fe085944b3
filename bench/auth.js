#!/usr/bin/env node
/**
 * Authenticated requests per second: the API with the verification cache (default)
 * against the same API with AUTH_VERIFY_CACHE_TTL_MS=0 (bcrypt on every request),
 * both running in the same run against the same database, reported as a ratio.
 *   node bench/auth.js [--duration 5] [--connections 20] [--rounds 3] [--cost 12]
 * Route: GET /v1/users/:user_id with X-API-Key (guard + Mongo ownership lookup).
 * Rounds alternate A/B so drift in machine load hits both sides alike.
 */
const { execFileSync } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const path = require('node:path');
const lib = require('./lib');

const { ROOT, arg, mean } = lib;
const DURATION = arg('duration', 5);
const CONNECTIONS = arg('connections', 20);
const ROUNDS = arg('rounds', 3);
const COST = arg('cost', 12);

// ts-node (transpile only) runs the sources as they are, so the bench never depends on a stale dist/.
const tsNode = (entry) => [process.execPath, ['-r', 'ts-node/register/transpile-only', path.join(ROOT, entry)]];

async function startApi(env) {
  const { base, child } = await lib.startServer(['-r', 'ts-node/register/transpile-only', path.join(ROOT, 'src/main.ts')], env);
  return { url: base, child };
}

const load = (url, key) => lib.load(url, { connections: CONNECTIONS, duration: DURATION, headers: { 'x-api-key': key } });

async function main() {
  const services = lib.services();
  const run = randomBytes(4).toString('hex');
  const env = {
    ...process.env,
    ...services,
    NODE_OPTIONS: '',
    TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.json'),
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    MONGODB_DATABASE: `bench_auth_${run}`,
    REDIS_KEY_PREFIX: `bench:${run}:`,
    AUTH_BCRYPT_COST: String(COST),
    RATE_LIMIT_ENABLED: 'false',
  };
  const [cmd, args] = tsNode('src/cli/create-admin-key.ts');
  const admin = JSON.parse(execFileSync(cmd, [...args, '--client-id', 'bench'], { cwd: ROOT, env, encoding: 'utf8' }));
  const cached = await startApi(env);
  const uncached = await startApi({ ...env, AUTH_VERIFY_CACHE_TTL_MS: '0' });
  const totals = { cache: [], bcrypt: [] };
  try {
    const res = await fetch(`${cached.url}/admin/keys`, {
      method: 'POST',
      headers: { 'x-api-key': admin.api_key, 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: 'bench-client', name: 'bench', role: 'client' }),
    });
    const key = (await res.json()).api_key;
    if ((await fetch(`${cached.url}/v1/users/bench-u1`, { method: 'PUT', headers: { 'x-api-key': key } })).status !== 200) {
      throw new Error('could not register the bench user');
    }
    const targets = { cache: `${cached.url}/v1/users/bench-u1`, bcrypt: `${uncached.url}/v1/users/bench-u1` };
    await load(targets.cache, key); // warm-up, discarded
    await load(targets.bcrypt, key);
    for (let round = 1; round <= ROUNDS; round++) {
      for (const name of round % 2 ? ['cache', 'bcrypt'] : ['bcrypt', 'cache']) {
        const r = await load(targets[name], key);
        if (r.non2xx || r.errors) throw new Error(`${name}: ${r.non2xx} non-2xx, ${r.errors} errors`);
        totals[name].push(r.requests.average);
        console.log(`round ${round} ${name.padEnd(6)} ${r.requests.average.toFixed(1)} req/s  p99 ${r.latency.p99} ms`);
      }
    }
  } finally {
    cached.child.kill('SIGTERM');
    uncached.child.kill('SIGTERM');
  }
  console.log(
    `\nGET /v1/users/:user_id with X-API-Key (bcrypt cost ${COST}): cache ${mean(totals.cache).toFixed(1)} req/s, ` +
      `bcrypt every request ${mean(totals.bcrypt).toFixed(1)} req/s  ratio cache/bcrypt = ${(mean(totals.cache) / mean(totals.bcrypt)).toFixed(1)}` +
      `  (${CONNECTIONS} connections, ${ROUNDS}x${DURATION}s each)`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
