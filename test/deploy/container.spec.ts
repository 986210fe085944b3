import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { load, YAML11_SCHEMA } from 'js-yaml';
import { opsTool, ROOT, run, TOOL_INSTALL_TIMEOUT_MS } from './support/ops-tools';

/**
 * docker/Dockerfile and docker/docker-compose.yml. There is no Docker engine on the project's machines, so
 * nothing is built or started here: these tests check the structure the issue asks for, and that the files
 * the Compose stack mounts exist and are valid (Prometheus config + rules through promtool).
 */
const DOCKER = join(ROOT, 'docker');
const dockerfile = readFileSync(join(DOCKER, 'Dockerfile'), 'utf8');
type Service = {
  image?: string; build?: unknown; command?: string[]; read_only?: boolean; healthcheck?: { test: string[] };
  environment?: Record<string, string>; volumes?: string[]; deploy?: { replicas?: number }; depends_on?: unknown;
};
// Compose files use YAML 1.1 merge keys (<<: *app).
const compose = load(readFileSync(join(DOCKER, 'docker-compose.yml'), 'utf8'), { schema: YAML11_SCHEMA }) as { services: Record<string, Service> };

/** Dockerfile instructions, continuation lines joined. */
const instructions = dockerfile
  .replace(/\\\n/g, ' ')
  .split('\n')
  .filter((l) => l.trim() && !l.trim().startsWith('#'))
  .map((l) => l.trim());

describe('docker/Dockerfile', () => {
  const stages = instructions.filter((l) => /^FROM /i.test(l));
  const runtime = instructions.slice(instructions.lastIndexOf(stages[stages.length - 1]));

  it('is multi-stage on Node 24, and the runtime stage takes only dist and node_modules from the build', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const s of stages) expect(s).toMatch(/^FROM node:24[-\w.]*/);
    expect(runtime.filter((l) => /^COPY --from=build/.test(l)).map((l) => l.split(/\s+/).at(-2))).toEqual(['/app/node_modules', '/app/dist']);
    expect(runtime.some((l) => /^RUN /.test(l))).toBe(false);
  });

  it('prunes dev dependencies before the runtime stage copies node_modules', () => {
    expect(instructions.some((l) => /^RUN .*npm prune --omit=dev/.test(l))).toBe(true);
  });

  it('runs as a numeric non-root user, with nothing writable under /app (read-only root friendly)', () => {
    const user = runtime.filter((l) => /^USER /.test(l)).at(-1);
    expect(user).toMatch(/^USER [1-9]\d*(:\d+)?$/);
    for (const l of runtime.filter((x) => /^COPY /.test(x))) expect(l).toContain('--chown=root:root');
  });

  it('has a HEALTHCHECK on /health/live that works for both processes, and the API as default command', () => {
    const hc = runtime.find((l) => /^HEALTHCHECK /.test(l))!;
    expect(hc).toContain('/health/live');
    expect(hc).toContain('process.env.PORT');
    expect(hc).toContain('process.env.WORKER_PORT');
    expect(runtime.at(-1)).toBe('CMD ["node", "dist/main.js"]');
  });

  it('.dockerignore keeps local state, secrets and tools out of the build context', () => {
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n');
    for (const p of ['node_modules', '.tools', '.data', '.git', '.env']) expect(ignored).toContain(p);
  });
});

describe('docker/docker-compose.yml', () => {
  const s = compose.services;

  it('API (2 replicas) and worker run from one image, chosen by command, read-only, with healthchecks', () => {
    expect(s.api.image).toBe(s.worker.image);
    expect(s.api.build).toEqual(s.worker.build);
    expect(s.api.command).toEqual(['node', 'dist/main.js']);
    expect(s.worker.command).toEqual(['node', 'dist/worker.js']);
    expect(s.api.deploy?.replicas).toBe(2);
    for (const svc of [s.api, s.worker]) {
      expect(svc.read_only).toBe(true);
      expect(svc.healthcheck?.test.join(' ')).toMatch(/\/health\/ready/);
    }
  });

  it('MongoDB is a 3-node replica set, initiated by an init step; the app uses the replica-set URI', () => {
    for (const m of ['mongo1', 'mongo2', 'mongo3']) expect(s[m].command).toEqual(['mongod', '--replSet', 'rs0', '--bind_ip_all']);
    expect(s['mongo-init'].command!.join(' ')).toMatch(/rs\.initiate/);
    expect(s.api.environment!.MONGODB_URI).toMatch(/mongo1:27017,mongo2:27017,mongo3:27017\/.*replicaSet=rs0/);
    expect(s.api.environment!.MONGODB_READ_PREFERENCE).toBeDefined();
  });

  it('Redis runs as master + replica with 3 Sentinels, RDB and AOF on; the app connects through the Sentinels', () => {
    expect(s['redis-replica'].command!.join(' ')).toMatch(/--replicaof redis-master 6379/);
    for (const r of ['redis-master', 'redis-replica']) expect(s[r].command!.join(' ')).toMatch(/--appendonly yes .*--save \d/);
    for (const sn of ['sentinel1', 'sentinel2', 'sentinel3']) expect(s[sn].command!.join(' ')).toMatch(/sentinel monitor mymaster redis-master 6379 2/);
    expect(s.api.environment!.REDIS_SENTINELS).toBe('sentinel1:26379,sentinel2:26379,sentinel3:26379');
    expect(s.api.environment!.REDIS_URL).toBeUndefined();
  });

  it('Vault runs in dev mode and an init step enables transit and creates the keys the app uses', () => {
    expect(s.vault.command).toContain('-dev');
    const init = s['vault-init'].command!.join(' ');
    expect(init).toMatch(/vault secrets enable transit/);
    expect(init).toMatch(/transit\/keys\/fgw-user-tokens/);
    expect(init).toMatch(/transit\/keys\/fgw-app-credentials/);
    expect(s.api.environment!.KMS_PROVIDER).toBe('vault');
  });

  it('Flickr secrets come from the environment, not the file', () => {
    expect(s.api.environment!.FLICKR_CONSUMER_SECRET).toMatch(/^\$\{FLICKR_CONSUMER_SECRET:\?/);
    expect(s.api.environment!.FLICKR_CONSUMER_KEY).toMatch(/^\$\{FLICKR_CONSUMER_KEY:\?/);
  });

  it('Prometheus loads the chart\'s rules file and Grafana provisions the chart\'s dashboards (one source)', () => {
    const rulesMount = s.prometheus.volumes!.find((v) => v.includes('slo.rules.yml'))!;
    expect(resolve(DOCKER, rulesMount.split(':')[0])).toBe(join(ROOT, 'helm', 'flickr-gateway', 'files', 'prometheus', 'slo.rules.yml'));
    const dashMount = s.grafana.volumes!.find((v) => v.includes('dashboards'))!;
    expect(resolve(DOCKER, dashMount.split(':')[0])).toBe(join(ROOT, 'helm', 'flickr-gateway', 'files', 'dashboards'));
    const provider = load(readFileSync(join(DOCKER, 'grafana', 'provisioning', 'dashboards', 'flickr-gateway.yml'), 'utf8')) as {
      providers: { options: { path: string } }[];
    };
    expect(provider.providers[0].options.path).toBe(dashMount.split(':')[1]);
  });

  describe('Prometheus config of the stack', () => {
    let promtool: string;
    beforeAll(() => {
      promtool = opsTool('promtool');
    }, TOOL_INSTALL_TIMEOUT_MS);

    it('passes promtool check config with the mounted rules, and scrapes the API and the worker', () => {
      const config = readFileSync(join(DOCKER, 'prometheus', 'prometheus.yml'), 'utf8');
      const parsed = load(config) as { rule_files: string[]; scrape_configs: { dns_sd_configs: { names: string[]; port: number }[] }[] };
      const rulesMount = s.prometheus.volumes!.find((v) => v.includes('slo.rules.yml'))!.split(':');
      expect(parsed.rule_files).toEqual([rulesMount[1]]);
      expect(parsed.scrape_configs.map((c) => [c.dns_sd_configs[0].names[0], c.dns_sd_configs[0].port])).toEqual([
        ['api', 3000],
        ['worker', 3001],
      ]);
      // The container paths do not exist here: check a copy that points at the files the stack mounts.
      const dir = mkdtempSync(join(tmpdir(), 'fgw-prom-'));
      try {
        writeFileSync(join(dir, 'prometheus.yml'), config.replace(rulesMount[1], resolve(DOCKER, rulesMount[0])));
        const { status, output } = run(promtool, ['check', 'config', join(dir, 'prometheus.yml')]);
        expect(output).toMatch(/SUCCESS: \d+ rules found/);
        expect(status).toBe(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
