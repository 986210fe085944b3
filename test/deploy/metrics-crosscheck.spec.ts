import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { freePort, waitFor } from '../support/processes';
import { startTestApp, type TestApp } from '../support/test-app';
import { ROOT } from './support/ops-tools';
import { exposedNames, metricNames } from './support/promql-names';

/**
 * Every metric name the Grafana dashboards and the Prometheus rules query is one the app really exports:
 * read from /metrics of a running API (startTestApp) and a running worker process (its WORKER_PORT).
 * Names recorded by the rules themselves (fgw:...) must be defined by a `record:` in the rules file.
 */
const FILES = join(ROOT, 'helm', 'flickr-gateway', 'files');

type Rule = { record?: string; alert?: string; expr: string };
const rules = (load(readFileSync(join(FILES, 'prometheus', 'slo.rules.yml'), 'utf8')) as { groups: { rules: Rule[] }[] }).groups.flatMap(
  (g) => g.rules,
);
const recorded = new Set(rules.filter((r) => r.record).map((r) => r.record!));

type Panel = { title: string; targets?: { expr: string }[] };
const dashboards = readdirSync(join(FILES, 'dashboards'))
  .filter((f) => f.endsWith('.json'))
  .map((file) => ({ file, json: JSON.parse(readFileSync(join(FILES, 'dashboards', file), 'utf8')) as { panels: Panel[] } }));

/** Where each name is used, for a readable failure. */
function usages(): Map<string, string[]> {
  const used = new Map<string, string[]>();
  const add = (name: string, where: string) => used.set(name, [...(used.get(name) ?? []), where]);
  for (const r of rules) for (const n of metricNames(r.expr)) add(n, `rules:${r.record ?? r.alert}`);
  for (const { file, json } of dashboards) {
    for (const p of json.panels) for (const t of p.targets ?? []) for (const n of metricNames(t.expr)) add(n, `${file}:${p.title}`);
  }
  return used;
}

function startWorker(port: number): { child: ChildProcess; output: () => string } {
  let output = '';
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', join(ROOT, 'src', 'worker.ts')], {
    cwd: ROOT,
    env: { ...process.env, NODE_OPTIONS: '', TS_NODE_PROJECT: join(ROOT, 'tsconfig.json'), WORKER_PORT: String(port), LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d) => (output += String(d)));
  child.stderr?.on('data', (d) => (output += String(d)));
  return { child, output: () => output };
}

describe('metric names in dashboards and rules', () => {
  it('the name extractor finds metric names and skips functions, labels, ranges and keywords', () => {
    expect(
      metricNames('sum by (le, route) (rate(api_request_latency_bucket{le="0.5", route!~"/health/.*"}[5m])) / on (x) group_left bool foo:bar offset 5m'),
    ).toEqual(['api_request_latency_bucket', 'foo:bar']);
    expect(metricNames('histogram_quantile(0.99, sum by (le) (rate(x_bucket[$__rate_interval]))) > 1800 and y or z unless 2e3')).toEqual(['x_bucket', 'y', 'z']);
  });

  it('every dashboard has panels, every panel a query', () => {
    expect(dashboards.map((d) => d.file).sort()).toEqual(['api.json', 'flickr.json', 'queue.json', 'security.json']);
    for (const { json } of dashboards) {
      expect(json.panels.length).toBeGreaterThan(3);
      for (const p of json.panels) expect(p.targets?.length).toBeGreaterThan(0);
    }
  });

  it('every recording rule the dashboards and alerts use is defined in the rules file', () => {
    const missing = [...usages().entries()].filter(([n]) => n.includes(':') && !recorded.has(n));
    expect(missing).toEqual([]);
  });

  describe('against /metrics of a running API and worker', () => {
    let api: TestApp;
    let worker: ReturnType<typeof startWorker> | undefined;
    let exported: Set<string>;

    beforeAll(async () => {
      api = await startTestApp();
      const port = await freePort();
      worker = startWorker(port);
      const workerMetrics = await waitFor(
        async () => {
          const res = await fetch(`http://127.0.0.1:${port}/metrics`);
          return res.ok ? res.text() : undefined;
        },
        { timeoutMs: 90000, intervalMs: 250 },
      ).catch((e: Error) => {
        throw new Error(`worker did not serve /metrics: ${e.message}\n${worker?.output().slice(-2000)}`);
      });
      const apiMetrics = await (await fetch(`${api.url}/metrics`)).text();
      exported = new Set([...exposedNames(apiMetrics), ...exposedNames(workerMetrics)]);
    }, 120000);

    afterAll(async () => {
      if (worker?.child.exitCode === null) {
        const exited = new Promise((r) => worker!.child.once('exit', r));
        worker.child.kill('SIGTERM');
        await exited;
      }
      await api?.close();
    });

    it('the app exports what the check relies on (sanity: the page was read)', () => {
      expect(exported.has('api_request_latency_bucket')).toBe(true);
      expect(exported.has('process_resident_memory_bytes')).toBe(true);
    });

    it('every metric name used by the dashboards and the rules exists in /metrics (or is recorded by a rule)', () => {
      const missing = [...usages().entries()]
        .filter(([name]) => !recorded.has(name) && !exported.has(name))
        .map(([name, where]) => `${name} (used in ${[...new Set(where)].join(', ')})`);
      expect(missing).toEqual([]);
    });
  });
});
