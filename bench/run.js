#!/usr/bin/env node
/**
 * Benchmarks, each reported as a ratio against a baseline measured in the same
 * run (these machines are noisy, so absolute numbers mean little).
 *   node bench/run.js [--duration 5] [--connections 50] [--rounds 3]
 * Scenario 1: GET /health/live of the real app (all global hooks, helmet, metrics,
 * request id, logging) against a bare Fastify server answering the same route.
 * Rounds alternate A/B so drift in machine load hits both sides alike.
 */
const path = require('node:path');
const { ROOT, arg, mean, services, startServer, load } = require('./lib');

const DURATION = arg('duration', 5);
const CONNECTIONS = arg('connections', 50);
const ROUNDS = arg('rounds', 3);

async function main() {
  const env = services();
  const app = await startServer([path.join(ROOT, 'dist/main.js')], { ...env, LOG_LEVEL: 'warn', NODE_ENV: 'development' });
  const bare = await startServer([path.join(__dirname, 'bare-fastify.js')], {});
  const totals = { app: [], bare: [] };
  const run = (target) => load(`${target.base}/health/live`, { connections: CONNECTIONS, duration: DURATION });
  try {
    await run(app); // warm-up, discarded
    await run(bare);
    for (let round = 1; round <= ROUNDS; round++) {
      for (const [name, target] of round % 2 ? [['app', app], ['bare', bare]] : [['bare', bare], ['app', app]]) {
        const res = await run(target);
        if (res.non2xx || res.errors) throw new Error(`${name}: ${res.non2xx} non-2xx, ${res.errors} errors`);
        totals[name].push(res.requests.average);
        console.log(`round ${round} ${name.padEnd(4)} ${res.requests.average.toFixed(0)} req/s  p99 ${res.latency.p99} ms`);
      }
    }
  } finally {
    app.child.kill('SIGTERM');
    bare.child.kill('SIGTERM');
  }
  const ratio = mean(totals.app) / mean(totals.bare);
  console.log(
    `\n/health/live  app ${mean(totals.app).toFixed(0)} req/s, bare Fastify ${mean(totals.bare).toFixed(0)} req/s` +
      `  ratio app/bare = ${ratio.toFixed(3)}  (${CONNECTIONS} connections, ${ROUNDS}x${DURATION}s each)`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
