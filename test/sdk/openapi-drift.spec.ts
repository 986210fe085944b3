import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AUTH_TEST_ENV } from '../support/factories/api-key.factory';
import { startTestApp, type TestApp } from '../support/test-app';

const ROOT = join(__dirname, '..', '..');
const GENERATED = join(ROOT, 'packages', 'sdk', 'src', 'generated', 'openapi.ts');
const REGENERATE = 'bash packages/sdk/scripts/generate.sh';

/**
 * The SDK's generated types must be what the current app's OpenAPI document gives, so the SDK cannot fall
 * behind the API silently: a route or schema change without `bash packages/sdk/scripts/generate.sh` fails here.
 */
describe('SDK types vs the OpenAPI document', () => {
  let t: TestApp;
  let dir: string;
  let served: Record<string, unknown>;

  beforeAll(async () => {
    t = await startTestApp({ env: AUTH_TEST_ENV });
    dir = mkdtempSync(join(tmpdir(), 'fgw-sdk-drift-'));
    served = (await (await fetch(`${t.url}/docs-json`)).json()) as Record<string, unknown>;
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await t?.close();
  });

  it('the offline dump (scripts/openapi-dump.ts, what the generator reads) is the document the app serves', () => {
    const dump = spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', join(ROOT, 'scripts', 'openapi-dump.ts')], {
      cwd: ROOT,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, NODE_OPTIONS: '', TS_NODE_PROJECT: join(ROOT, 'tsconfig.json') },
    });
    expect(dump.stderr).toBe('');
    expect(dump.status).toBe(0);
    expect(JSON.parse(dump.stdout)).toEqual(served);
  }, 120_000);

  it(`packages/sdk/src/generated/openapi.ts is what openapi-typescript makes of the served document (else: ${REGENERATE})`, () => {
    const doc = join(dir, 'openapi.json');
    const out = join(dir, 'openapi.ts');
    writeFileSync(doc, JSON.stringify(served, null, 2));
    const gen = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'openapi-typescript', 'bin', 'cli.js'), doc, '--default-non-nullable', 'false', '--output', out], { cwd: ROOT, encoding: 'utf8' });
    expect(gen.status).toBe(0);
    const fresh = readFileSync(out, 'utf8');
    const committed = readFileSync(GENERATED, 'utf8');
    if (fresh !== committed) {
      // Name what changed (the paths), so the failure says more than "differs".
      const paths = (text: string) => new Set([...text.matchAll(/^ {4}"(\/[^"]*)": \{$/gm)].map((m) => m[1]));
      const [now, then] = [paths(fresh), paths(committed)];
      const added = [...now].filter((p) => !then.has(p));
      const removed = [...then].filter((p) => !now.has(p));
      throw new Error(`the SDK's generated types are stale: run ${REGENERATE} and commit. Paths added: ${added.join(', ') || 'none'}; removed: ${removed.join(', ') || 'none'} (or schemas changed)`);
    }
    expect(fresh).toBe(committed);
  }, 120_000);
});
