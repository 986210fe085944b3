import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { opsTool, ROOT, run, TOOL_INSTALL_TIMEOUT_MS } from './support/ops-tools';

/**
 * The SLO rules (helm/flickr-gateway/files/prometheus/slo.rules.yml, loaded by both the PrometheusRule and
 * the Compose Prometheus) pass `promtool check rules`, and `promtool test rules` runs the cases of
 * test/deploy/prometheus/slo.rules.test.yml (alerts that must fire, and ones that must stay quiet).
 */
const RULES = join(ROOT, 'helm', 'flickr-gateway', 'files', 'prometheus', 'slo.rules.yml');
const RULE_TESTS = join(ROOT, 'test', 'deploy', 'prometheus', 'slo.rules.test.yml');

let promtool: string;

beforeAll(() => {
  promtool = opsTool('promtool');
}, TOOL_INSTALL_TIMEOUT_MS);

describe('Prometheus SLO rules', () => {
  it('promtool check rules: valid, with a recording rule per SLI and window and the burn-rate alerts', () => {
    const { status, output } = run(promtool, ['check', 'rules', RULES]);
    expect(output).toMatch(/SUCCESS: \d+ rules found/);
    expect(status).toBe(0);
  });

  it('promtool test rules: every test case passes', () => {
    const { status, output } = run(promtool, ['test', 'rules', RULE_TESTS]);
    expect(output).toContain('SUCCESS');
    expect(output).not.toContain('FAILED');
    expect(status).toBe(0);
  });

  it('each of the four SLOs has a fast (page) and a slow (ticket) multi-window burn-rate alert', () => {
    const lint = run(promtool, ['check', 'rules', '--lint=all', '--lint-fatal', RULES]);
    expect(lint.status).toBe(0);
    const groups = (load(readFileSync(RULES, 'utf8')) as { groups: { rules: { alert?: string; expr: string; labels?: Record<string, string> }[] }[] }).groups;
    const alerts = groups.flatMap((g) => g.rules.filter((r) => r.alert));
    for (const slo of ['api-latency', 'upload-time', 'job-expiration', 'flickr-429']) {
      const fast = alerts.find((a) => a.labels?.slo === slo && a.labels.severity === 'page');
      const slow = alerts.find((a) => a.labels?.slo === slo && a.labels.severity === 'ticket');
      expect({ slo, fast: !!fast, slow: !!slow }).toEqual({ slo, fast: true, slow: true });
      // Multi-window: a long window confirmed by a short one, twice (1h&5m or 6h&30m; 1d&2h or 3d&6h).
      expect(fast!.expr).toMatch(/rate1h .* and .*rate5m[\s\S]*or[\s\S]*rate6h .* and .*rate30m/);
      expect(slow!.expr).toMatch(/rate1d .* and .*rate2h[\s\S]*or[\s\S]*rate3d .* and .*rate6h/);
    }
  });
});
