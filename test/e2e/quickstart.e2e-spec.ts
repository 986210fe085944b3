import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Redis from 'ioredis';
import mongoose from 'mongoose';
import puppeteer, { type Browser } from 'puppeteer-core';
import { FakeFlickr, REAL_FLICKR_ORIGINS } from '../../tools/sandbox-flickr/fake-flickr.server';
import { freePort, waitFor } from '../support/processes';

const ROOT = join(__dirname, '..', '..');
const DOC = join(ROOT, 'docs', 'quickstart-client.md');
/** Debian's chromium (scripts/chromium.sh installs it); puppeteer-core downloads no browser. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = join(ROOT, 'test-results', 'quickstart');

interface Step {
  name: string;
  background: boolean;
  /** The fenced bash block; empty for the browser step (prose the test performs with puppeteer). */
  code: string;
  prose: string;
}

/** The doc's steps in order: `<!-- step: NAME [background] -->` before a ```bash block (or before prose for `browser`). */
function readSteps(text: string): Step[] {
  const steps: Step[] = [];
  const marker = /<!-- step: ([a-z-]+)( background)? -->\n/g;
  let m: RegExpExecArray | null;
  while ((m = marker.exec(text))) {
    const rest = text.slice(marker.lastIndex);
    const block = /^```bash\n([\s\S]*?)```/.exec(rest);
    steps.push({ name: m[1], background: Boolean(m[2]), code: block?.[1] ?? '', prose: rest.slice(0, rest.search(/\n## |<!-- step:/)) });
  }
  return steps;
}

/** A process in its own process group (a shell step run "in its own terminal"), stopped as a whole. */
class Background {
  output = '';
  private readonly exited: Promise<void>;

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    child.stdout?.on('data', (d) => (this.output += String(d)));
    child.stderr?.on('data', (d) => (this.output += String(d)));
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGTERM to the whole group (as Ctrl-C in its terminal would reach every process), then waits for the shell. */
  async stop(): Promise<void> {
    if (this.alive() && this.child.pid) process.kill(-this.child.pid, 'SIGTERM');
    await this.exited;
  }
}

/**
 * docs/quickstart-client.md, run as written: `bash scripts/start.sh` as a real process (sandbox mode: no Flickr
 * credentials; a fresh database of its own), then each bash block of the doc in order in one shell (as in the
 * reader's second terminal), the "own terminal" blocks as background processes, and the browser step in headless
 * Debian chromium. Only the local defaults the doc names are swapped for this run's: ports, and `.local/` for a
 * directory of its own (so a developer's own .local/admin-key.json is never touched).
 */
describe('docs/quickstart-client.md, step by step (sandbox mode)', () => {
  const suffix = randomBytes(4).toString('hex');
  const scratch = join(ROOT, '.data', `quickstart-${suffix}`);
  const localDir = join(scratch, 'local');
  const database = `quickstart_${suffix}`;
  const text = readFileSync(DOC, 'utf8');
  const steps = readSteps(text);
  let ports: { api: number; worker: number; sandbox: number; inbox: number };
  let env: Record<string, string>;
  const background: Background[] = [];
  let browser: Browser | undefined;
  let realFlickr: FakeFlickr | undefined;

  /** The doc's local defaults → this run's. Each must occur in the doc, so a changed default fails here first. */
  const substitutions = () => [
    ['http://localhost:3000', `http://localhost:${ports.api}`],
    ['--port 4000', `--port ${ports.inbox}`],
    ['http://127.0.0.1:4000', `http://127.0.0.1:${ports.inbox}`],
    ['./.local/', `${localDir}/`],
    ['.local/', `${localDir}/`],
  ];
  const adapt = (code: string) => substitutions().reduce((c, [from, to]) => c.split(from).join(to), code);

  function startBackground(step: Step, extraEnv: Record<string, string> = {}): Background {
    const child = spawn('bash', ['-c', adapt(step.code)], { cwd: ROOT, env: { ...env, ...extraEnv }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const proc = new Background(step.name, child);
    background.push(proc);
    return proc;
  }

  beforeAll(async () => {
    ports = { api: await freePort(), worker: await freePort(), sandbox: await freePort(), inbox: await freePort() };
    mkdirSync(SHOTS, { recursive: true });
    mkdirSync(scratch, { recursive: true });
    // What a newcomer's shell has: no NODE_ENV (development), no Flickr credentials; the services of this run.
    env = {
      PATH: `${join(ROOT, 'node_modules', '.bin')}:${process.env.PATH}`,
      HOME: process.env.HOME ?? '/root',
      LANG: 'C.UTF-8',
      PORT: String(ports.api),
      WORKER_PORT: String(ports.worker),
      SANDBOX_FLICKR_PORT: String(ports.sandbox),
      DEV_LOCAL_DIR: localDir,
      // Built where the shared dist/ of other tools and benchmarks is not touched (inside the repository for node_modules).
      DEV_BUILD_DIR: join(scratch, 'dist'),
      MONGODB_URI: `${process.env.FGW_TEST_MONGODB_URI ?? 'mongodb://127.0.0.1:27018/flickr_gateway'}`,
      MONGODB_DATABASE: database,
      REDIS_URL: process.env.FGW_TEST_REDIS_URL ?? 'redis://127.0.0.1:6380',
      REDIS_KEY_PREFIX: `quickstart:${suffix}:`,
      SHUTDOWN_DRAIN_DELAY_MS: '0',
    };
    if (existsSync(join(ROOT, '.env')) && /^FLICKR_CONSUMER_KEY=.+/m.test(readFileSync(join(ROOT, '.env'), 'utf8'))) {
      throw new Error('.env configures FLICKR_CONSUMER_KEY: start.sh would not run the sandbox; this test needs a checkout without it');
    }
  });

  afterAll(async () => {
    await browser?.close();
    for (const proc of background.reverse()) await proc.stop();
    await realFlickr?.close();
    const connection = await mongoose.createConnection(env.MONGODB_URI, { dbName: database }).asPromise();
    await connection.dropDatabase().finally(() => connection.close());
    const redis = new Redis(env.REDIS_URL);
    const keys = await redis.keys(`${env.REDIS_KEY_PREFIX}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('the doc names every step the test needs, with the defaults the test swaps', () => {
    expect(steps.map((s) => `${s.name}${s.background ? ' (background)' : ''}`)).toEqual([
      'start (background)',
      'admin-key',
      'client-key',
      'inbox (background)',
      'webhook-endpoint',
      'connect-session',
      'browser',
      'check-user',
      'call-method',
      'upload',
      'upload-status',
      'deliveries',
    ]);
    for (const [from] of [['http://localhost:3000'], ['--port 4000'], ['http://127.0.0.1:4000'], ['.local/']]) expect(text).toContain(from);
  });

  it('start → client key → connect in the browser → Flickr call → upload → signed webhooks; a second start, with Flickr credentials, keeps the one admin key and runs no sandbox', async () => {
    const gateway = `http://localhost:${ports.api}`;
    // One shell for the foreground steps, as the reader's second terminal: variables carry from step to step.
    const shell = spawn('bash', ['--noprofile', '--norc'], { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    shell.stdout.on('data', (d) => (out += String(d)));
    shell.stderr.on('data', (d) => (out += String(d)));
    shell.stdin.write('set -eo pipefail\n');
    const run = async (step: Step): Promise<string> => {
      const from = out.length;
      const done = `__quickstart_step_${step.name}_done__`;
      shell.stdin.write(`${adapt(step.code)}\necho ${done}\n`);
      await waitFor(async () => out.includes(done, from) || shell.exitCode !== null, { timeoutMs: 120_000, intervalMs: 100 }).catch(() => undefined);
      if (!out.includes(done, from)) throw new Error(`step ${step.name} did not finish:\n${out.slice(from)}`);
      return out.slice(from, out.indexOf(done, from));
    };
    const outputs: Record<string, string> = {};
    let start: Background | undefined;
    let inbox: Background | undefined;
    try {
      for (const step of steps) {
        if (step.name === 'start') {
          start = startBackground(step);
          await waitFor(async () => !start!.alive() || (await fetch(`${gateway}/health/ready`)).status === 200, { timeoutMs: 300_000, intervalMs: 500 });
          if (!start.alive()) throw new Error(`scripts/start.sh exited:\n${start.output}`);
          // The API is up; the worker (started just before it) too before the upload.
          await waitFor(async () => (await fetch(`http://127.0.0.1:${ports.worker}/health/live`)).status === 200, { timeoutMs: 60_000, intervalMs: 200 });
        } else if (step.name === 'inbox') {
          inbox = startBackground(step);
          await waitFor(async () => inbox!.output.includes('listening on') || !inbox!.alive(), { timeoutMs: 20_000 });
          expect(inbox.alive()).toBe(true);
        } else if (step.name === 'browser') {
          await connectInBrowser(outputs['connect-session'], step.prose);
        } else {
          outputs[step.name] = await run(step);
        }
      }
    } catch (error) {
      throw new Error(`${(error as Error).message}\n--- shell ---\n${out}\n--- start.sh ---\n${start?.output}\n--- inbox ---\n${inbox?.output}`);
    } finally {
      shell.stdin.end();
    }

    // start.sh: sandbox mode, said and marked; the first admin key in a 0600 file, only its path printed.
    const log = start!.output;
    expect(log).toContain(`[sandbox-flickr] SANDBOX Flickr (not flickr.com) on http://127.0.0.1:${ports.sandbox}`);
    expect(log).toContain('[start] SANDBOX MODE');
    expect(log).toContain('docs/quickstart-client.md');
    expect(log).toContain('[Sandbox] SANDBOX MODE: Flickr is the local sandbox Flickr');
    const keyFile = join(localDir, 'admin-key.json');
    expect(log).toContain(`[start] first admin key created and written to ${keyFile}`);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const adminKey = JSON.parse(readFileSync(keyFile, 'utf8')) as { api_key: string; signing_secret: string };
    expect(adminKey.api_key).toMatch(/^fgw_/);
    expect(log).not.toContain(adminKey.api_key);
    expect(log).not.toContain(adminKey.signing_secret);
    // Pretty logs in development: human-readable lines, no JSON lines; the request line summarised.
    expect(log).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: \[Bootstrap\] api listening on http:\/\/localhost:\d+$/m);
    expect(log).toMatch(/INFO: request completed POST \/admin\/keys → 201 in \d+ ms/);
    expect(log).not.toMatch(/^\{"level"/m);
    // The sandbox Flickr saw real OAuth and REST traffic from the gateway.
    expect(log).toMatch(/\[sandbox-flickr\] (GET|POST) \/services\/oauth\/access_token/);
    expect(log).toContain('flickr.photos.search');

    // What each step printed.
    expect(outputs['client-key']).toMatch(/client key \w+ created/);
    expect(outputs['webhook-endpoint']).toMatch(/webhook endpoint we_\w+/);
    expect(outputs['connect-session']).toContain(`Open in your browser: ${gateway}/connect/`);
    expect(JSON.parse(outputs['check-user'])).toMatchObject({ user_id: 'user-1', flickr: { state: 'connected', nsid: '12345678@N00' } });
    const search = JSON.parse(outputs['call-method']) as { stat: string; photos: { photo: Array<{ title: string }> } };
    expect(search.stat).toBe('ok');
    expect(search.photos.photo.map((p) => p.title).sort()).toEqual(['Golden hour over the harbour', 'Morning fog']);
    const job = JSON.parse(outputs.upload) as { job_id: string; status: string };
    expect(job.status).toBe('queued');
    const finished = JSON.parse(outputs['upload-status']) as { status: string; photo_id: string };
    expect(finished).toMatchObject({ job_id: job.job_id, status: 'completed' });

    // The inbox received both events, each signed with the endpoint's secret.
    await waitFor(async () => inbox!.output.includes('upload.completed'), { timeoutMs: 30_000 });
    const received = inbox!.output.split('\n').filter((l) => / POST \/webhooks /.test(l));
    expect(received.find((l) => l.includes('connection.created'))).toMatch(/signature: verified$/);
    expect(received.find((l) => l.includes('upload.completed'))).toMatch(/signature: verified$/);
    expect(inbox!.output).toContain(`"photo_id":"${finished.photo_id}"`);
    expect(inbox!.output).not.toContain('INVALID');
    expect(outputs.deliveries).toContain('upload.completed');
    // The inbox does check: a delivery signed with another secret is reported as invalid.
    const forged = await fetch(`http://127.0.0.1:${ports.inbox}/webhooks`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-fgw-event-id': 'evt_forged',
        'x-fgw-event-type': 'upload.completed',
        'x-fgw-webhook-timestamp': String(Math.floor(Date.now() / 1000)),
        'x-fgw-webhook-signature': `v1=${'0'.repeat(64)}`,
      },
      body: '{"id":"evt_forged"}',
    });
    expect(forged.status).toBe(200);
    await waitFor(async () => inbox!.output.includes('evt_forged signature:'), { timeoutMs: 5_000 });
    expect(inbox!.output).toContain('upload.completed evt_forged signature: INVALID (signature does not match)');

    // A second start on the same database, now with Flickr credentials configured (the environment, as .env would):
    // no second admin key, no sandbox, and the gateway talks to the configured Flickr (here a fake of this test's
    // that only knows that app), as before sandbox mode existed.
    await start!.stop();
    realFlickr = await FakeFlickr.start({ origins: REAL_FLICKR_ORIGINS, consumerKey: 'configured-app-key', consumerSecret: 'configured-app-secret' });
    const again = startBackground(steps[0], {
      FLICKR_CONSUMER_KEY: 'configured-app-key',
      FLICKR_CONSUMER_SECRET: 'configured-app-secret',
      FLICKR_API_URL: `${realFlickr.url}/services/rest`,
      FLICKR_UPLOAD_URL: `${realFlickr.url}/services/upload`,
      FLICKR_OAUTH_URL: `${realFlickr.url}/services/oauth`,
    });
    await waitFor(async () => !again.alive() || (await fetch(`${gateway}/health/ready`)).status === 200, { timeoutMs: 300_000, intervalMs: 500 });
    expect(again.output).toContain(`[start] admin key: ${keyFile} (created by an earlier start)`);
    expect(again.output).not.toContain('first admin key created');
    expect(again.output).not.toContain('[sandbox-flickr]');
    expect(again.output).not.toContain('SANDBOX MODE');
    const admin = { 'x-api-key': adminKey.api_key, 'content-type': 'application/json' };
    const admins = await fetch(`${gateway}/admin/keys?role=admin`, { headers: admin });
    expect(admins.status).toBe(200);
    expect(((await admins.json()) as { items: unknown[] }).items).toHaveLength(1);
    const client = (await (await fetch(`${gateway}/admin/keys`, { method: 'POST', headers: admin, body: JSON.stringify({ client_id: 'my-app', name: 'second', role: 'client' }) })).json()) as { api_key: string };
    const session = await fetch(`${gateway}/v1/connect-sessions`, {
      method: 'POST',
      headers: { 'x-api-key': client.api_key, 'content-type': 'application/json' },
      body: JSON.stringify({ user_id: 'user-2', perms: 'read' }),
    });
    expect(session.status).toBe(201);
    const { connect_url: connectUrl } = (await session.json()) as { connect_url: string };
    expect((await fetch(connectUrl)).status).toBe(200);
    await fetch(`${connectUrl}/start`, { redirect: 'manual' });
    // The request token was asked of the configured Flickr, signed with the configured app's secret.
    expect(realFlickr.count('/services/oauth/request_token')).toBe(1);
    expect(realFlickr.issuedSecrets()).toHaveLength(1);
    await again.stop();
  }, 900_000);

  /** Step 5 in the browser, clicking what the doc tells the reader to click. */
  async function connectInBrowser(sessionOutput: string, prose: string): Promise<void> {
    const connectUrl = /Open in your browser: (\S+)/.exec(sessionOutput)?.[1];
    expect(connectUrl).toBeDefined();
    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const page = await browser.newPage();
    await page.goto(connectUrl!);
    const label = (selector: string) => page.$eval(selector, (e) => (e.textContent ?? '').trim());
    // What the reader is told they will see and click is what the pages show.
    expect(await label('h1')).toBe('my-app wants to connect your Flickr account');
    expect(prose).toContain(`"${await label('h1')}"`);
    expect(prose).toContain(`**${await label('#continue')}**`);
    await page.screenshot({ path: join(SHOTS, '1-overview.png'), fullPage: true });
    await Promise.all([page.waitForNavigation(), page.click('#continue')]);
    // The sandbox Flickr's approval page, marked as the sandbox.
    expect(new URL(page.url()).port).toBe(String(ports.sandbox));
    expect(await label('#sandbox')).toContain('SANDBOX FLICKR');
    expect(await page.$eval('#fake_user', (s) => (s as unknown as { value: string }).value)).toBe('12345678@N00');
    expect(prose).toContain(`**${await label('#approve')}**`);
    await page.screenshot({ path: join(SHOTS, '2-sandbox-flickr-approve.png'), fullPage: true });
    await Promise.all([page.waitForNavigation(), page.click('#approve')]);
    expect(await label('h1')).toBe('Your Flickr account is connected');
    expect(prose).toContain(`"${await label('h1')}"`);
    await page.screenshot({ path: join(SHOTS, '3-connected.png'), fullPage: true });
  }
});

/** The sandbox is for local development: production refuses it, at start.sh and in the gateway itself. */
describe('sandbox mode refused with NODE_ENV=production', () => {
  const exec = (command: string, args: string[], env: Record<string, string>) =>
    new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = spawn(command, args, { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (d) => (output += String(d)));
      child.stderr.on('data', (d) => (output += String(d)));
      child.once('exit', (code) => resolve({ code, output }));
    });

  it('scripts/start.sh without Flickr credentials stops at once, saying why', async () => {
    const result = await exec('bash', ['scripts/start.sh'], { NODE_ENV: 'production', SANDBOX_FLICKR_PORT: String(await freePort()) });
    expect(result).toEqual({ code: 1, output: '[start] NODE_ENV=production refuses the sandbox Flickr: set FLICKR_CONSUMER_KEY and FLICKR_CONSUMER_SECRET of a real Flickr app\n' });
  });

  it('the API process with FLICKR_SANDBOX=true exits 1 naming the variable; the sandbox\'s http URLs and pretty logs are refused too', async () => {
    const production = {
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      MONGODB_URI: process.env.FGW_TEST_MONGODB_URI ?? 'mongodb://127.0.0.1:27018/flickr_gateway',
      MONGODB_DATABASE: process.env.MONGODB_DATABASE ?? 'quickstart_refusal',
      REDIS_URL: process.env.FGW_TEST_REDIS_URL ?? 'redis://127.0.0.1:6380',
      FLICKR_CONSUMER_KEY: 'real-looking-key',
      FLICKR_CONSUMER_SECRET: 'real-looking-secret',
      TS_NODE_PROJECT: join(ROOT, 'tsconfig.json'),
    };
    const api = ['-r', 'ts-node/register/transpile-only', join(ROOT, 'src/main.ts')];
    const refused = await exec(process.execPath, api, { ...production, FLICKR_SANDBOX: 'true', PORT: String(await freePort()) });
    expect(refused.code).toBe(1);
    expect(refused.output).toContain('FLICKR_SANDBOX: the sandbox Flickr is for local development and is refused in production');
    // The same with the sandbox's plain-http URLs and pretty logs: each named.
    const sandboxUrls = await exec(process.execPath, api, {
      ...production,
      FLICKR_API_URL: 'http://127.0.0.1:3010/services/rest',
      LOG_FORMAT: 'pretty',
      PORT: String(await freePort()),
    });
    expect(sandboxUrls.code).toBe(1);
    expect(sandboxUrls.output).toContain('FLICKR_API_URL: must be https in production');
    expect(sandboxUrls.output).toContain('LOG_FORMAT: pretty is for local development; production logs are JSON');
    expect(sandboxUrls.output).not.toContain('FLICKR_SANDBOX');
  }, 120_000);
});
