import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GatewayClient } from '../../packages/sdk/src';

const ROOT = join(__dirname, '..', '..');
const SDK = join(ROOT, 'packages', 'sdk');

/** packages/sdk builds on its own with tsc and needs nothing at run time beyond Node's built-ins. */
describe('SDK package', () => {
  let out: string;
  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), 'fgw-sdk-build-'));
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('its README documents every method of every area of the client', () => {
    const readme = readFileSync(join(SDK, 'README.md'), 'utf8');
    const gw = new GatewayClient({ baseUrl: 'http://gw.test', apiKey: 'fgw_abcdefgh2345_s' }) as unknown as Record<string, object>;
    const areas = Object.keys(gw).filter((k) => gw[k] && typeof gw[k] === 'object' && Object.getPrototypeOf(gw[k]) !== Object.prototype);
    expect(areas.sort()).toEqual(['connectSessions', 'flickr', 'oauth', 'uploads', 'users', 'webhookEndpoints']);
    const missing: string[] = [];
    for (const area of areas) {
      const methods = Object.getOwnPropertyNames(Object.getPrototypeOf(gw[area])).filter((m) => m !== 'constructor');
      expect(methods.length).toBeGreaterThan(0);
      for (const m of methods) if (!readme.includes(`\`${area}.${m}(`)) missing.push(`${area}.${m}`);
    }
    expect(missing).toEqual([]);
  });

  it("its README's webhook receiver example compiles against the SDK (strict)", () => {
    const readme = readFileSync(join(SDK, 'README.md'), 'utf8');
    const example = /```ts receiver-example\n([\s\S]*?)\n```/.exec(readme)?.[1];
    expect(example).toContain('verifyWebhook');
    const dir = mkdtempSync(join(tmpdir(), 'fgw-sdk-readme-'));
    try {
      writeFileSync(join(dir, 'receiver.ts'), example!);
      writeFileSync(
        join(dir, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            module: 'nodenext', moduleResolution: 'nodenext', target: 'es2023', lib: ['es2023'], strict: true, noEmit: true, skipLibCheck: true,
            types: ['node'], typeRoots: [join(ROOT, 'node_modules', '@types')],
            paths: { '@flickr-gateway/sdk': [join(SDK, 'src', 'index.ts')] },
          },
          files: ['receiver.ts'],
        }),
      );
      const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(dir, 'tsconfig.json')], { encoding: 'utf8' });
      expect(tsc.stdout + tsc.stderr).toBe('');
      expect(tsc.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('declares no runtime, peer or optional dependencies', () => {
    const pkg = JSON.parse(readFileSync(join(SDK, 'package.json'), 'utf8')) as Record<string, unknown>;
    for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies', 'bundledDependencies']) expect(pkg[field]).toBeUndefined();
    expect(pkg).toMatchObject({ main: 'dist/index.js', types: 'dist/index.d.ts' });
  });

  it('builds with its own tsconfig (declarations included); the output requires only node: built-ins and its own files', () => {
    const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(SDK, 'tsconfig.json'), '--outDir', out], {
      encoding: 'utf8',
    });
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
    const files = readdirSync(out, { recursive: true }).map(String);
    expect(files).toEqual(expect.arrayContaining(['index.js', 'index.d.ts', 'client.js', 'webhooks.js', join('generated', 'openapi.d.ts')]));

    const required = new Set<string>();
    for (const f of files.filter((name) => name.endsWith('.js'))) {
      for (const m of readFileSync(join(out, f), 'utf8').matchAll(/require\("([^"]+)"\)/g)) required.add(m[1]);
    }
    const foreign = [...required].filter((id) => !id.startsWith('./') && !id.startsWith('../') && !(id.startsWith('node:') && builtinModules.includes(id.slice(5))));
    expect(foreign).toEqual([]);
    expect([...required].filter((id) => id.startsWith('node:')).sort()).toEqual(['node:crypto', 'node:fs', 'node:fs/promises', 'node:path', 'node:stream']);

    // The built package runs in a plain Node process (no ts-jest, no node_modules).
    const run = spawnSync(
      process.execPath,
      ['-e', `const s = require(${JSON.stringify(join(out, 'index.js'))}); console.log(JSON.stringify(['GatewayClient','verifyWebhook','signRequest','GatewayError','RateLimitError','WebhookVerificationError','Paginator'].map((n) => typeof s[n])))`],
      { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } },
    );
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual(Array(7).fill('function'));
  }, 120_000);
});
