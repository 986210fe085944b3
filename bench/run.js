#!/usr/bin/env node
/**
 * Benchmarks, each reported as a ratio against a baseline measured in the same
 * run (these machines are noisy, so absolute numbers mean little).
 *   node bench/run.js [--duration 5] [--connections 50] [--rounds 3]
 * Scenario 1: GET /health/live of the real app (all global hooks, helmet, metrics,
 * request id, logging) against a bare Fastify server answering the same route.
 * Rounds alternate A/B so drift in machine load hits both sides alike.
 */
const { fork, execFileSync } = require('node:child_process');
const { createServer } = require('node:net');
const path = require('node:path');
const autocannon = require('autocannon');

const ROOT = path.join(__dirname, '..');
const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const DURATION = arg('duration', 5);
const CONNECTIONS = arg('connections', 50);
const ROUNDS = arg('rounds', 3);

const freePort = () =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

async function waitReady(url, child) {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`${url} exited early`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} never became ready`);
}

async function start(script, env) {
  const port = await freePort();
  const child = fork(script, [], { cwd: ROOT, env: { ...process.env, ...env, PORT: String(port) }, stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}/health/live`;
  await waitReady(url, child);
  return { url, child };
}

const load = (url) =>
  new Promise((resolve, reject) =>
    autocannon({ url, connections: CONNECTIONS, duration: DURATION }, (err, res) => (err ? reject(err) : resolve(res))),
  );

async function main() {
  execFileSync('bash', [path.join(ROOT, 'scripts/dev-services.sh'), 'up'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const env = Object.fromEntries(
    execFileSync('bash', [path.join(ROOT, 'scripts/dev-services.sh'), 'env'], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  const app = await start(path.join(ROOT, 'dist/main.js'), { ...env, LOG_LEVEL: 'warn', NODE_ENV: 'development' });
  const bare = await start(path.join(__dirname, 'bare-fastify.js'), {});
  const totals = { app: [], bare: [] };
  try {
    await load(app.url); // warm-up, discarded
    await load(bare.url);
    for (let round = 1; round <= ROUNDS; round++) {
      for (const [name, target] of round % 2 ? [['app', app], ['bare', bare]] : [['bare', bare], ['app', app]]) {
        const res = await load(target.url);
        if (res.non2xx || res.errors) throw new Error(`${name}: ${res.non2xx} non-2xx, ${res.errors} errors`);
        totals[name].push(res.requests.average);
        console.log(`round ${round} ${name.padEnd(4)} ${res.requests.average.toFixed(0)} req/s  p99 ${res.latency.p99} ms`);
      }
    }
  } finally {
    app.child.kill('SIGTERM');
    bare.child.kill('SIGTERM');
  }
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
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
