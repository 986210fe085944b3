import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { FakeFlickr, REAL_FLICKR_ORIGINS } from '../../tools/sandbox-flickr/fake-flickr.server';
import { type ApiProcess, startApiProcess } from '../support/api-process';
import { AUTH_TEST_ENV, createApiKey } from '../support/factories/api-key.factory';
import { connectViaOob, fakeFlickrEnv } from '../support/factories/flickr.factory';
import { startTestApp, type TestApp } from '../support/test-app';
import { sharedKmsEnv } from '../support/uploads';

const ROOT = join(__dirname, '..', '..');
// A small example budget keeps the suite fast; `bash scripts/fuzz.sh --max-examples 100` runs deeper.
const EXAMPLES = process.env.FUZZ_MAX_EXAMPLES ?? '3';

function fuzz(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    let output = '';
    const child = spawn('bash', [join(ROOT, 'scripts/fuzz.sh'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (d) => (output += String(d)));
    child.stderr.on('data', (d) => (output += String(d)));
    child.once('exit', (code) => resolve({ code, output }));
  });
}

/**
 * schemathesis (PyPI) generates requests from the served OpenAPI document and
 * checks every answer: no 5xx, and status, content type and body as documented
 * (problem+json on every error). /v1 with a client key, /admin with an admin key.
 */
describe('fuzzing the OpenAPI document with schemathesis', () => {
  let fake: FakeFlickr;
  let seed: TestApp;
  let api: ApiProcess;

  beforeAll(async () => {
    fake = await FakeFlickr.start({ origins: REAL_FLICKR_ORIGINS });
    const env = { ...AUTH_TEST_ENV, ...fakeFlickrEnv(fake), ...sharedKmsEnv(), RATE_LIMIT_ENABLED: 'false' };
    seed = await startTestApp({ env });
    api = await startApiProcess();
  }, 90_000);
  afterAll(async () => {
    await api?.stop();
    await seed?.close();
    await fake?.close();
  });

  it('finds no 5xx and no answer that violates the documented schema', async () => {
    const client = await createApiKey(seed.app);
    const admin = await createApiKey(seed.app, { role: 'admin' });
    // A connected user, so generated proxy calls can reach (the fake) Flickr too.
    await connectViaOob(api.url, client.api_key, 'user-42');
    const run = await fuzz(['--url', api.url, '--client-key', client.api_key, '--admin-key', admin.api_key, '--max-examples', EXAMPLES, '--seed', '42']);
    if (run.code !== 0 || process.env.FUZZ_VERBOSE) process.stderr.write(run.output);
    expect(run.code).toBe(0);
    expect(run.output).toMatch(/API Operations:\s+Selected: \d+/);
    expect(api.alive()).toBe(true);
    const metrics = await (await fetch(`${api.url}/metrics`)).text();
    expect(metrics).toMatch(/^process_uncaught_errors_total\{kind="uncaughtException"\} 0$/m);
  }, 600_000);
});
