#!/usr/bin/env node
/**
 * The limiter's cost, as ratios measured in one run (alternating rounds):
 *  1. store level: SlidingWindowStore.hit (the Lua check) against a bare Redis PING on its own
 *     connection, same concurrency — a ratio near 1 shows a check costs one round trip;
 *  2. HTTP level: GET /v1/users/:user_id with an API key (key and user windows: two checks) on two
 *     app processes sharing one database, limits on vs RATE_LIMIT_ENABLED=false (limits set high
 *     enough that nothing is refused).
 *   npm run build && node bench/rate-limit.js [--seconds 3] [--rounds 3] [--concurrency 50]
 */
const path = require('node:path');
const { ROOT, arg, mean, services, startServer, load: loadWith, provisionClient } = require('./lib');

const SECONDS = arg('seconds', 3);
const ROUNDS = arg('rounds', 3);
const CONCURRENCY = arg('concurrency', 50);

async function opsPerSecond(op) {
  let done = 0;
  const deadline = Date.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < deadline) {
        await op();
        done++;
      }
    }),
  );
  return done / SECONDS;
}

async function storeLevel(env) {
  Object.assign(process.env, env, { REDIS_KEY_PREFIX: 'bench:' });
  const { loadSlice } = require(path.join(ROOT, 'dist/config/env.validation'));
  const { RedisConfig } = require(path.join(ROOT, 'dist/redis/redis.config'));
  const { RedisConnectionFactory } = require(path.join(ROOT, 'dist/redis/redis.factory'));
  const { SlidingWindowStore } = require(path.join(ROOT, 'dist/rate-limit/sliding-window.store'));
  const factory = new RedisConnectionFactory(loadSlice(RedisConfig, process.env));
  const store = new SlidingWindowStore(factory);
  const ping = factory.create('bench-ping');
  const results = { check: [], ping: [] };
  let i = 0;
  for (let round = 1; round <= ROUNDS; round++) {
    // Many keys, so sets stay small as in real traffic (one set per key/user/IP).
    const check = () => store.hit(`bench:${i++ % 1000}`, 1e9, 60_000);
    const order = round % 2 ? [['check', check], ['ping', () => ping.ping()]] : [['ping', () => ping.ping()], ['check', check]];
    for (const [name, op] of order) results[name].push(await opsPerSecond(op));
  }
  await store.onApplicationShutdown();
  ping.disconnect();
  return results;
}

const startApp = (env) =>
  startServer([path.join(ROOT, 'dist/main.js')], { ...env, LOG_LEVEL: 'warn', SHUTDOWN_DRAIN_DELAY_MS: '0' });

const load = (url, headers = {}) => loadWith(url, { connections: CONCURRENCY, duration: SECONDS, headers });

/** A client key (its api_key) and one user on the shared bench database, through the CLI and the admin API. */
const provision = async (env, app) => (await provisionClient(env, app.base)).api_key;

async function httpLevel(env) {
  // Same database and Redis prefix for both processes; limits high enough that nothing is refused.
  const shared = {
    ...env,
    MONGODB_DATABASE: 'bench_rate_limit',
    REDIS_KEY_PREFIX: 'bench-http:',
    AUTH_BCRYPT_COST: '10',
    RATE_LIMIT_KEY_LIMIT: '1000000000',
    RATE_LIMIT_USER_READ_LIMIT: '1000000000',
  };
  const limited = await startApp({ ...shared, RATE_LIMIT_ENABLED: 'true' });
  const unlimited = await startApp({ ...shared, RATE_LIMIT_ENABLED: 'false' });
  const route = '/v1/users/bench-user';
  const results = { limited: [], unlimited: [] };
  try {
    const key = await provision(shared, limited);
    const probe = await fetch(`${limited.base}${route}`, { headers: { 'x-api-key': key } });
    if (probe.status !== 200 || !probe.headers.get('ratelimit-limit')) throw new Error(`probe answered ${probe.status} without RateLimit headers`);
    const run = (app) => load(`${app.base}${route}`, { 'x-api-key': key });
    await run(limited); // warm-up (verification caches, connections), discarded
    await run(unlimited);
    for (let round = 1; round <= ROUNDS; round++) {
      const order = round % 2 ? [['limited', limited], ['unlimited', unlimited]] : [['unlimited', unlimited], ['limited', limited]];
      for (const [name, app] of order) {
        const r = await run(app);
        if (r.non2xx) throw new Error(`${name}: ${r.non2xx} non-2xx answers`);
        results[name].push(r.requests.average);
      }
    }
  } finally {
    limited.child.kill('SIGTERM');
    unlimited.child.kill('SIGTERM');
  }
  return { route, ...results };
}

(async () => {
  const env = services();
  const store = await storeLevel(env);
  console.log(
    `store: sliding-window check ${mean(store.check).toFixed(0)} ops/s, PING ${mean(store.ping).toFixed(0)} ops/s, ` +
      `ratio check/PING = ${(mean(store.check) / mean(store.ping)).toFixed(3)} (${CONCURRENCY} in flight, ${ROUNDS}x${SECONDS}s)`,
  );
  const http = await httpLevel(env);
  {
    console.log(
      `http ${http.route}: limited ${mean(http.limited).toFixed(0)} req/s, unlimited ${mean(http.unlimited).toFixed(0)} req/s, ` +
        `ratio limited/unlimited = ${(mean(http.limited) / mean(http.unlimited)).toFixed(3)}`,
    );
  }
  process.exit(0);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
