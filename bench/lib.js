/**
 * Shared by the benchmarks: argument parsing, the local services, starting a
 * server process on a free port, and one autocannon load.
 */
const { execFileSync, spawn } = require('node:child_process');
const { readdirSync, readFileSync } = require('node:fs');
const { createServer } = require('node:net');
const path = require('node:path');
const autocannon = require('autocannon');

const ROOT = path.join(__dirname, '..');

/** `--name value` from the command line, as a number. */
const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

const freePort = () =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

/** Starts the local services (idempotent) and returns their environment (MONGODB_URI, REDIS_URL, VAULT_*...). */
function services() {
  const script = path.join(ROOT, 'scripts/dev-services.sh');
  execFileSync('bash', [script, 'up'], { stdio: ['ignore', 'ignore', 'inherit'] });
  return Object.fromEntries(
    execFileSync('bash', [script, 'env'], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

/**
 * Runs `node [...nodeArgs]` with PORT set to a free port and waits until GET `readyPath` answers 2xx.
 * Returns the base URL and the child process. `options.cwd` defaults to the repository root; the
 * child's last stderr lines are kept and shown if it exits before it is ready.
 */
async function startServer(nodeArgs, env, readyPath = '/health/live', options = {}) {
  const port = await freePort();
  const child = spawn(process.execPath, nodeArgs, {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 900; i++) {
    if (child.exitCode !== null) throw new Error(`${nodeArgs.join(' ')} exited early:\n${stderr}`);
    try {
      if ((await fetch(`${base}${readyPath}`)).ok) return { base, child };
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${nodeArgs.join(' ')} never became ready`);
}

/**
 * One autocannon run. Other autocannon options (method, body, requests with setupRequest,
 * overallRate...) pass through.
 */
const load = (url, { connections, duration, headers = {}, ...rest }) =>
  new Promise((resolve, reject) =>
    autocannon({ url, connections, duration, headers, ...rest }, (err, res) => (err ? reject(err) : resolve(res))),
  );

/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
function cpuSeconds(pid) {
  return procStat(pid).s;
}

/** A process's command name and CPU seconds (user + system, all threads) from /proc/<pid>/stat. */
function procStat(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of stat(5), in clock ticks (USER_HZ, 100 on Linux).
  return { comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), s: (Number(fields[11]) + Number(fields[12])) / 100 };
}

/** The machine's CPU time counters (the `cpu` line of /proc/stat, in clock ticks): user, nice, system, idle, iowait, irq, softirq, steal. */
function cpuTicks() {
  return readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
}

/**
 * The whole machine's CPU time so far (Linux /proc): `busy` (user, nice, system, irq, softirq, steal over all
 * cores), and per process: { pid: { comm, s } } (user + system seconds, all its threads). Two snapshots around a
 * load give where the machine's time went: see `cpuBreakdown`.
 */
function machineCpu() {
  const procs = {};
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      procs[pid] = procStat(pid);
    } catch {} // exited meanwhile
  }
  const [user, nice, system, , , irq, softirq, steal] = cpuTicks();
  return { busy: (user + nice + system + irq + softirq + steal) / 100, procs };
}

/**
 * CPU time the hypervisor took from this virtual machine (the `steal` column of /proc/stat) while the benchmark
 * ran: its share of all CPU time, and its largest share in any one second. The machine's own scheduling is the
 * noise these runs measure through; a run whose steal is high is a run on a busy host, and its latencies say so.
 * Sampled once a second (a timer that never keeps the process alive).
 */
function stealMonitor() {
  const read = () => {
    const f = cpuTicks();
    return { total: f.reduce((a, b) => a + b, 0), steal: f[7] };
  };
  const first = read();
  let prev = first;
  let maxShare = 0;
  const timer = setInterval(() => {
    const cur = read();
    if (cur.total > prev.total) maxShare = Math.max(maxShare, (cur.steal - prev.steal) / (cur.total - prev.total));
    prev = cur;
  }, 1000);
  timer.unref();
  return {
    /** { share, maxSecondShare } so far (fractions of all CPU time). */
    now() {
      const cur = read();
      return { share: cur.total > first.total ? (cur.steal - first.steal) / (cur.total - first.total) : 0, maxSecondShare: maxShare };
    },
  };
}

/**
 * Where the machine's CPU time went between two `machineCpu` snapshots, in µs per request (`n` answered):
 * `groups` maps a name to a predicate on { pid, comm }; what no group claims is "other" (the kernel's network
 * work not charged to a process, and everything else running).
 */
function cpuBreakdown(before, after, n, groups) {
  const out = Object.fromEntries(Object.keys(groups).map((g) => [g, 0]));
  let claimed = 0;
  for (const [pid, p] of Object.entries(after.procs)) {
    const used = p.s - (before.procs[pid]?.s ?? 0);
    if (used <= 0) continue;
    const group = Object.keys(groups).find((g) => groups[g]({ pid: Number(pid), comm: p.comm }));
    if (!group) continue;
    out[group] += used;
    claimed += used;
  }
  out.other = Math.max(0, after.busy - before.busy - claimed);
  out.total = after.busy - before.busy;
  return Object.fromEntries(Object.entries(out).map(([g, sec]) => [g, (sec * 1e6) / n]));
}

/**
 * A client key for client `bench` and its registered user `userId`, on the gateway at `base`: an admin key
 * from the CLI of the build at `root` (run with `env`, the gateway's env), then the admin and users APIs.
 * Returns the issued key (`api_key` and the rest of the admin API's answer).
 */
async function provisionClient(env, base, { root = ROOT, userId = 'bench-user' } = {}) {
  const out = execFileSync(process.execPath, [path.join(root, 'dist/cli/create-admin-key.js'), '--client-id', 'bench-ops', '--force'], {
    cwd: root,
    env: { ...process.env, ...env, LOG_LEVEL: 'error' },
    encoding: 'utf8',
  });
  const admin = JSON.parse(out.slice(out.indexOf('{'))).api_key;
  const created = await fetch(`${base}/admin/keys`, {
    method: 'POST',
    headers: { 'x-api-key': admin, 'content-type': 'application/json' },
    body: JSON.stringify({ client_id: 'bench', name: 'bench', role: 'client' }),
  });
  if (created.status !== 201) throw new Error(`creating the bench key answered ${created.status}: ${await created.text()}`);
  const key = await created.json();
  const user = await fetch(`${base}/v1/users/${userId}`, { method: 'PUT', headers: { 'x-api-key': key.api_key } });
  if (user.status !== 200) throw new Error(`registering the bench user answered ${user.status}`);
  return key;
}

module.exports = { ROOT, arg, mean, freePort, services, startServer, load, cpuSeconds, machineCpu, cpuBreakdown, provisionClient, stealMonitor };
