import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Runs the CLI (`src/cli.ts` through ts-node, like `node dist/cli.js`) as its
 * own process with this test file's environment plus `env`.
 */
export function runCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const root = join(__dirname, '..', '..');
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', join(root, 'src/cli.ts'), ...args], {
      cwd: root,
      env: { ...process.env, ...env, NODE_OPTIONS: '', TS_NODE_PROJECT: join(root, 'tsconfig.json') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (d) => (stdout += String(d)));
    child.stderr.on('data', (d) => (stderr += String(d)));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The last JSON line a CLI command printed (its report). */
export function cliReport(stdout: string): Record<string, unknown> {
  return JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, unknown>;
}

/** A free loopback TCP port. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export async function waitFor<T>(
  probe: () => Promise<T | undefined | false>,
  { timeoutMs = 10000, intervalMs = 50 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

function isRunning(child: ChildProcess | undefined): boolean {
  return child !== undefined && child.exitCode === null && child.signalCode === null;
}

/** A real redis-server of its own, for tests that stop and restart Redis. */
export class RedisProcess {
  private child?: ChildProcess;

  private constructor(readonly port: number) {}

  static async start(): Promise<RedisProcess> {
    const redis = new RedisProcess(await freePort());
    await redis.restart();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** True from restart() until stop() (or until the process dies). */
  get running(): boolean {
    return isRunning(this.child);
  }

  async restart(): Promise<void> {
    this.child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    await waitFor(async () => {
      const { Redis } = await import('ioredis');
      const probe = new Redis({ port: this.port, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
      try {
        await probe.connect();
        return (await probe.ping()) === 'PONG';
      } finally {
        probe.disconnect();
      }
    });
  }

  async stop(): Promise<void> {
    const child = this.child;
    // A killed process has a signalCode and no exitCode: without this check a second stop() would wait forever.
    if (!child || !isRunning(child)) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }
}

/**
 * A FerretDB of its own (the MongoDB of the local stack, see scripts/dev-services.sh: the binary in .tools/,
 * SQLite backend), on a free port with its own data directory, for tests that stop and restart MongoDB.
 * The data directory outlives stop(), so a restart finds the same data (like a restarted database server).
 */
export class FerretDBProcess {
  private child?: ChildProcess;
  private output = '';

  private constructor(
    readonly port: number,
    private readonly debugPort: number,
    private readonly dir: string,
  ) {}

  static async start(): Promise<FerretDBProcess> {
    const ferret = new FerretDBProcess(await freePort(), await freePort(), mkdtempSync(join(tmpdir(), 'fgw-ferretdb-')));
    await ferret.restart();
    return ferret;
  }

  /** A URI for the app (its database name is set by MONGODB_DATABASE). */
  get uri(): string {
    return `mongodb://127.0.0.1:${this.port}/flickr_gateway`;
  }

  /** True from restart() until stop() (or until the process dies). */
  get running(): boolean {
    return isRunning(this.child);
  }

  async restart(): Promise<void> {
    const bin = join(__dirname, '..', '..', '.tools', 'bin', 'ferretdb');
    this.output = '';
    const child = spawn(
      bin,
      [
        '--handler=sqlite',
        `--sqlite-url=file:${this.dir}/`,
        `--state-dir=${this.dir}`,
        `--listen-addr=127.0.0.1:${this.port}`,
        `--debug-addr=127.0.0.1:${this.debugPort}`,
        '--telemetry=disable',
        '--log-level=warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout?.on('data', (d) => (this.output += String(d)));
    child.stderr?.on('data', (d) => (this.output += String(d)));
    this.child = child;
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`ferretdb exited ${child.exitCode}: ${this.output}`);
        const { MongoClient } = await import('mongodb');
        const probe = new MongoClient(`mongodb://127.0.0.1:${this.port}/`, { serverSelectionTimeoutMS: 300, connectTimeoutMS: 300 });
        try {
          return (await probe.db('admin').command({ ping: 1 })).ok === 1;
        } finally {
          await probe.close().catch(() => undefined);
        }
      },
      { timeoutMs: 20_000, intervalMs: 100 },
    ).catch((err: Error) => {
      throw new Error(`ferretdb did not start on ${this.port}: ${err.message}\n${this.output}`);
    });
  }

  /** Kills the server at once (no clean shutdown), like a crashed or unplugged database. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || !isRunning(child)) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  /** Stops the server and deletes its data directory. */
  async remove(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
