import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';
import { AppConfig } from '../../src/config/app.config';
import { opsTool, ROOT, run, TOOL_INSTALL_TIMEOUT_MS } from './support/ops-tools';

/**
 * The Helm chart: `helm lint` is clean and `helm template` renders the invariants operators rely on
 * (probes, non-root, read-only root, PDBs, preStop, shutdown budget, no plaintext secret, existingSecret).
 */
const CHART = join(ROOT, 'helm', 'flickr-gateway');
const FULL_VALUES = join(CHART, 'ci', 'full-values.yaml');
// helm built with `go install` has no Kubernetes version baked in (it defaults to 1.20); the chart needs 1.25+.
const KUBE_VERSION = '1.30.0';

type Doc = { kind: string; metadata: { name: string; labels?: Record<string, string> }; spec?: any; data?: Record<string, string> };

let helm: string;

function template(args: string[] = []): { status: number; output: string; docs: Doc[] } {
  const result = run(helm, ['template', 'fgw', CHART, '--kube-version', KUBE_VERSION, ...args]);
  const docs = result.status === 0 ? (loadAll(result.output) as Doc[]).filter(Boolean) : [];
  return { ...result, docs };
}

const byKind = (docs: Doc[], kind: string) => docs.filter((d) => d.kind === kind);
const deployment = (docs: Doc[], component: string) =>
  byKind(docs, 'Deployment').find((d) => d.metadata.labels?.['app.kubernetes.io/component'] === component)!;

beforeAll(() => {
  helm = opsTool('helm');
}, TOOL_INSTALL_TIMEOUT_MS);

describe('helm lint', () => {
  it('is clean with the full test values (every optional part on), strict mode', () => {
    const { status, output } = run(helm, ['lint', CHART, '--strict', '-f', FULL_VALUES, '--kube-version', KUBE_VERSION]);
    expect(output).toContain('0 chart(s) failed');
    expect(output).not.toMatch(/\[(ERROR|WARNING)\]/);
    expect(status).toBe(0);
  });

  it('fails without existingSecret: secrets are never taken from values', () => {
    const { status, output } = run(helm, ['lint', CHART, '--kube-version', KUBE_VERSION]);
    expect(status).not.toBe(0);
    expect(output).toMatch(/existingSecret/);
  });
});

describe('helm template (full values)', () => {
  let docs: Doc[];
  let rendered: string;

  beforeAll(() => {
    const result = template(['-f', FULL_VALUES]);
    expect(result.status).toBe(0);
    docs = result.docs;
    rendered = result.output;
  });

  it('renders every part the issue lists', () => {
    const kinds = docs.map((d) => d.kind).sort();
    for (const kind of [
      'ConfigMap', 'CronJob', 'Deployment', 'HorizontalPodAutoscaler', 'Ingress', 'NetworkPolicy',
      'PodDisruptionBudget', 'PrometheusRule', 'Service', 'ServiceAccount', 'ServiceMonitor',
    ]) {
      expect(kinds).toContain(kind);
    }
    expect(byKind(docs, 'Deployment')).toHaveLength(2);
    expect(byKind(docs, 'HorizontalPodAutoscaler').map((h) => h.spec.scaleTargetRef.name).sort()).toEqual(
      byKind(docs, 'Deployment').map((d) => d.metadata.name).sort(),
    );
  });

  it.each(['api', 'worker'])('%s: one image, its own command, probes on /health/live and /health/ready', (component) => {
    const pod = deployment(docs, component).spec.template.spec;
    const [container] = pod.containers;
    expect(container.command).toEqual(['node', component === 'api' ? 'dist/main.js' : 'dist/worker.js']);
    expect(container.image).toBe(deployment(docs, 'api').spec.template.spec.containers[0].image);
    expect(container.livenessProbe.httpGet).toEqual({ path: '/health/live', port: 'http' });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/health/ready', port: 'http' });
    expect(container.startupProbe.httpGet).toEqual({ path: '/health/live', port: 'http' });
    const port = container.ports.find((p: { name: string }) => p.name === 'http').containerPort;
    const config = byKind(docs, 'ConfigMap').find((c) => c.metadata.name.endsWith('-config'))!.data!;
    expect(String(port)).toBe(component === 'api' ? config.PORT : config.WORKER_PORT);
  });

  it.each(['api', 'worker'])('%s: non-root, read-only root filesystem, no privilege escalation, no capabilities', (component) => {
    const pod = deployment(docs, component).spec.template.spec;
    const [container] = pod.containers;
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
    expect(pod.securityContext.seccompProfile).toEqual({ type: 'RuntimeDefault' });
    expect(container.securityContext).toMatchObject({
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    // Read-only root: the only writable place is an emptyDir on /tmp.
    expect(container.volumeMounts).toEqual([{ name: 'tmp', mountPath: '/tmp' }]);
    expect(pod.volumes).toEqual([{ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }]);
    expect(container.resources.requests).toBeDefined();
    expect(container.resources.limits.memory).toBeDefined();
  });

  it.each(['api', 'worker'])(
    '%s: preStop pause, and terminationGracePeriodSeconds above preStop + the app\'s own shutdown limit',
    (component) => {
      const pod = deployment(docs, component).spec.template.spec;
      const preStop = pod.containers[0].lifecycle.preStop.exec.command as string[];
      expect(preStop[0]).toBe('sleep');
      const preStopSeconds = Number(preStop[1]);
      expect(preStopSeconds).toBeGreaterThan(0);
      // The app exits by itself at most SHUTDOWN_GRACE_MS after SIGTERM (src/bootstrap/shutdown.ts), drain included.
      const config = byKind(docs, 'ConfigMap').find((c) => c.metadata.name.endsWith('-config'))!.data!;
      const graceMs = Number(config.SHUTDOWN_GRACE_MS ?? new AppConfig().SHUTDOWN_GRACE_MS);
      const drainMs = Number(config.SHUTDOWN_DRAIN_DELAY_MS ?? new AppConfig().SHUTDOWN_DRAIN_DELAY_MS);
      expect(drainMs).toBeLessThan(graceMs);
      expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(preStopSeconds + graceMs / 1000);
    },
  );

  it('the chart\'s shutdown settings are the app\'s defaults unless changed on purpose', () => {
    const config = byKind(docs, 'ConfigMap').find((c) => c.metadata.name.endsWith('-config'))!.data!;
    expect(Number(config.SHUTDOWN_GRACE_MS)).toBe(new AppConfig().SHUTDOWN_GRACE_MS);
    expect(Number(config.SHUTDOWN_DRAIN_DELAY_MS)).toBe(new AppConfig().SHUTDOWN_DRAIN_DELAY_MS);
  });

  it('PodDisruptionBudgets cover both Deployments', () => {
    const pdbs = byKind(docs, 'PodDisruptionBudget');
    expect(pdbs).toHaveLength(2);
    for (const component of ['api', 'worker']) {
      const selector = deployment(docs, component).spec.selector.matchLabels;
      const pdb = pdbs.find((p) => JSON.stringify(p.spec.selector.matchLabels) === JSON.stringify(selector));
      expect(pdb).toBeDefined();
      expect(pdb!.spec.minAvailable ?? pdb!.spec.maxUnavailable).toBeGreaterThanOrEqual(1);
    }
    // With minAvailable 1 the API also needs at least 2 replicas, or a drain would block forever.
    const apiHpa = byKind(docs, 'HorizontalPodAutoscaler').find((h) => h.metadata.name.endsWith('-api'))!;
    expect(apiHpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
  });

  it('secrets come only from existingSecret: no Secret object, no secret-looking literal anywhere', () => {
    expect(byKind(docs, 'Secret')).toHaveLength(0);
    for (const component of ['api', 'worker']) {
      const [container] = deployment(docs, component).spec.template.spec.containers;
      expect(container.envFrom).toEqual([
        { configMapRef: { name: 'fgw-flickr-gateway-config' } },
        { secretRef: { name: 'flickr-gateway-secrets' } },
      ]);
      expect(container.env).toBeUndefined();
    }
    const config = byKind(docs, 'ConfigMap').find((c) => c.metadata.name.endsWith('-config'))!.data!;
    for (const key of Object.keys(config)) expect(key).not.toMatch(/SECRET|PASSWORD|TOKEN|HASH_KEY/);
    expect(config.MONGODB_URI).not.toMatch(/:\/\/[^/]*@/);
    // The backup job reads its credentials by reference too.
    const cron = byKind(docs, 'CronJob')[0].spec.jobTemplate.spec.template.spec;
    for (const c of [...cron.initContainers, ...cron.containers]) {
      for (const e of c.env ?? []) {
        if (/SECRET|PASSWORD|KEY_ID|MONGODB_URI/.test(e.name)) expect(e.valueFrom?.secretKeyRef).toBeDefined();
      }
    }
    expect(rendered).not.toMatch(/dev-root-token|BEGIN [A-Z ]*PRIVATE KEY/);
  });

  it('the schema refuses a secret placed in values, and a MongoDB URI with credentials', () => {
    for (const set of ['config.FLICKR_CONSUMER_SECRET=s3cret', 'config.VAULT_TOKEN=s.abc', 'config.REDIS_PASSWORD=pw']) {
      const { status, output } = template(['-f', FULL_VALUES, '--set', set]);
      expect({ set, status }).toEqual({ set, status: 1 });
      expect(output).toMatch(/values don't meet the specifications of the schema/);
    }
    const { status } = template(['-f', FULL_VALUES, '--set', 'mongodb.uri=mongodb://app:pw@mongo-0:27017/fgw?replicaSet=rs0']);
    expect(status).toBe(1);
  });

  it('refuses a terminationGracePeriodSeconds that would cut the app\'s shutdown short', () => {
    const { status, output } = template(['-f', FULL_VALUES, '--set', 'shutdown.terminationGracePeriodSeconds=30']);
    expect(status).toBe(1);
    expect(output).toMatch(/terminationGracePeriodSeconds \(30\) must be above/);
  });

  it('HA settings: replica-set URI with read preference, Redis Sentinel, Vault Kubernetes auth', () => {
    const config = byKind(docs, 'ConfigMap').find((c) => c.metadata.name.endsWith('-config'))!.data!;
    expect(config.MONGODB_URI).toMatch(/replicaSet=/);
    expect(config.MONGODB_READ_PREFERENCE).toBe('primaryPreferred');
    expect(config.REDIS_SENTINELS.split(',')).toHaveLength(3);
    expect(config.REDIS_SENTINEL_MASTER).toBe('mymaster');
    expect(config.REDIS_WAIT_REPLICAS).toBe('1');
    expect(config.REDIS_URL).toBeUndefined();
    expect(config).toMatchObject({ KMS_PROVIDER: 'vault', VAULT_AUTH_METHOD: 'kubernetes', VAULT_K8S_ROLE: 'flickr-gateway' });
    const sa = byKind(docs, 'ServiceAccount')[0];
    expect(deployment(docs, 'api').spec.template.spec.serviceAccountName).toBe(sa.metadata.name);
    expect(config.NODE_ENV).toBe('production');
  });

  it('monitoring: ServiceMonitor scrapes /metrics of both Services; PrometheusRule is the shared rules file', () => {
    const sm = byKind(docs, 'ServiceMonitor')[0];
    expect(sm.spec.endpoints).toEqual([expect.objectContaining({ port: 'http', path: '/metrics' })]);
    for (const svc of byKind(docs, 'Service')) {
      for (const [k, v] of Object.entries(sm.spec.selector.matchLabels)) expect(svc.metadata.labels![k]).toBe(v);
      expect(svc.spec.ports.map((p: { name: string }) => p.name)).toContain('http');
    }
    const rule = byKind(docs, 'PrometheusRule')[0];
    const source = loadAll(readFileSync(join(CHART, 'files', 'prometheus', 'slo.rules.yml'), 'utf8'))[0] as { groups: unknown[] };
    expect(rule.spec).toEqual(source);
    const dashboards = byKind(docs, 'ConfigMap').find((c) => c.metadata.name.endsWith('-dashboards'))!;
    expect(dashboards.metadata.labels!.grafana_dashboard).toBe('1');
    expect(Object.keys(dashboards.data!).sort()).toEqual(['api.json', 'flickr.json', 'queue.json', 'security.json']);
    for (const json of Object.values(dashboards.data!)) expect(() => JSON.parse(json)).not.toThrow();
  });

  it('backup CronJob: daily mongodump to S3-compatible storage, with the monthly copy', () => {
    const cron = byKind(docs, 'CronJob')[0];
    expect(cron.spec.concurrencyPolicy).toBe('Forbid');
    const pod = cron.spec.jobTemplate.spec.template.spec;
    expect(pod.initContainers[0].command.join(' ')).toMatch(/mongodump --uri="\$MONGODB_URI".*--archive/);
    expect(pod.containers[0].command.join(' ')).toMatch(/s3 cp .*daily\//);
    expect(pod.containers[0].command.join(' ')).toMatch(/monthly\//);
    expect(pod.securityContext.runAsNonRoot).toBe(true);
  });

  it('NetworkPolicy: the worker takes only scrapes; the API takes its port', () => {
    const policies = byKind(docs, 'NetworkPolicy');
    const worker = policies.find((p) => p.metadata.name.endsWith('-worker'))!;
    expect(worker.spec.ingress).toEqual([
      { ports: [{ port: 3001, protocol: 'TCP' }], from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }] },
    ]);
    const api = policies.find((p) => p.metadata.name.endsWith('-api'))!;
    expect(api.spec.ingress[0].ports).toEqual([{ port: 3000, protocol: 'TCP' }]);
  });
});

describe('helm template (defaults + existingSecret)', () => {
  it('optional parts stay off: no Ingress, no backup CronJob', () => {
    const { status, docs } = template(['--set', 'existingSecret=s']);
    expect(status).toBe(0);
    expect(byKind(docs, 'Ingress')).toHaveLength(0);
    expect(byKind(docs, 'CronJob')).toHaveLength(0);
    expect(byKind(docs, 'Deployment')).toHaveLength(2);
  });

  it('plain Redis URL when no Sentinels are configured', () => {
    const { status, docs } = template(['--set', 'existingSecret=s', '--set-json', 'redis.sentinels=[]', '--set', 'redis.url=redis://redis:6379']);
    expect(status).toBe(0);
    const config = byKind(docs, 'ConfigMap').find((c) => c.metadata.name.endsWith('-config'))!.data!;
    expect(config.REDIS_URL).toBe('redis://redis:6379');
    expect(config.REDIS_SENTINELS).toBeUndefined();
  });
});

describe('helm template: trusted proxies behind the Ingress (AUTH_TRUSTED_PROXIES)', () => {
  const withIngress = ['--set', 'existingSecret=s', '--set', 'ingress.enabled=true'];

  it('the schema refuses the Ingress without auth.trustedProxies', () => {
    for (const args of [withIngress, [...withIngress, '--set-json', 'auth.trustedProxies=[]']]) {
      const { status, output } = template(args);
      expect({ args, status }).toEqual({ args, status: 1 });
      expect(output).toMatch(/values don't meet the specifications of the schema/);
      expect(output).toMatch(/trustedProxies/);
    }
  });

  it('the template still fails loudly when schema validation is skipped', () => {
    const { status, output } = template([...withIngress, '--skip-schema-validation']);
    expect(status).toBe(1);
    expect(output).toMatch(/auth\.trustedProxies is required when ingress\.enabled is true/);
  });

  it('refuses entries that are not IPs or CIDRs, and the variable set through config', () => {
    const bad = template([...withIngress, '--set-json', 'auth.trustedProxies=["ingress-nginx"]']);
    expect(bad.status).toBe(1);
    expect(bad.output).toMatch(/trustedProxies\/0/);
    const clash = template([...withIngress, '--set-json', 'auth.trustedProxies=["10.0.0.0/8"]', '--set', 'config.AUTH_TRUSTED_PROXIES=10.0.0.0/8']);
    expect(clash.status).toBe(1);
    expect(clash.output).toMatch(/set auth\.trustedProxies/);
  });

  it('with them set, the API pods get AUTH_TRUSTED_PROXIES joined with ","', () => {
    const { status, docs } = template([...withIngress, '--set-json', 'auth.trustedProxies=["10.244.0.0/16","fd00:10:244::/56"]']);
    expect(status).toBe(0);
    expect(byKind(docs, 'Ingress')).toHaveLength(1);
    // Follow the API container's own references to the object that holds the variable.
    const [container] = deployment(docs, 'api').spec.template.spec.containers;
    const configMapName = container.envFrom.find((e: { configMapRef?: { name: string } }) => e.configMapRef).configMapRef.name;
    const config = byKind(docs, 'ConfigMap').find((c) => c.metadata.name === configMapName)!.data!;
    expect(config.AUTH_TRUSTED_PROXIES).toBe('10.244.0.0/16,fd00:10:244::/56');
    expect(container.env).toBeUndefined();
  });

  it('the full test values (Ingress on) set them; without an Ingress they stay unset (socket address only)', () => {
    const full = template(['-f', FULL_VALUES]);
    expect(full.status).toBe(0);
    const fullConfig = byKind(full.docs, 'ConfigMap').find((c) => c.metadata.name.endsWith('-config'))!.data!;
    expect(fullConfig.AUTH_TRUSTED_PROXIES).toBe('10.244.0.0/16,fd00:10:244::/56');
    const plain = template(['--set', 'existingSecret=s']);
    expect(plain.status).toBe(0);
    const plainConfig = byKind(plain.docs, 'ConfigMap').find((c) => c.metadata.name.endsWith('-config'))!.data!;
    expect(plainConfig.AUTH_TRUSTED_PROXIES).toBeUndefined();
  });
});
