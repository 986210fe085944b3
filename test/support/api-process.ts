import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { freePort, waitFor } from './processes';

const ROOT = join(__dirname, '..', '..');

export interface AppProcess {
  child: ChildProcess;
  url: string;
  port: number;
  output: () => string;
  /** Whether the process is still running. */
  alive: () => boolean;
  stop: (signal?: NodeJS.Signals) => Promise<void>;
}

/** The API process, as the hostile-input and fuzz tests name it. */
export type ApiProcess = AppProcess;

/**
 * One of the app's entry points as its own process (through ts-node, like
 * `node dist/...`) on a free port, sharing this test file's database and Redis
 * prefix (inherited from process.env); resolves once `readyPath` answers 200.
 * For tests where a crash must be seen as a dead process, not as a failed
 * promise in the test runner.
 */
export async function startAppProcess(
  entry: 'src/main.ts' | 'src/worker.ts',
  options: { portVariable: 'PORT' | 'WORKER_PORT'; readyPath: string; env?: Record<string, string> },
): Promise<AppProcess> {
  const port = await freePort();
  let output = '';
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', join(ROOT, entry)], {
    cwd: ROOT,
    env: { ...process.env, NODE_OPTIONS: '', TS_NODE_PROJECT: join(ROOT, 'tsconfig.json'), [options.portVariable]: String(port), LOG_LEVEL: 'warn', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d) => (output += String(d)));
  child.stderr?.on('data', (d) => (output += String(d)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => child.exitCode === null && (await fetch(`${url}${options.readyPath}`)).status === 200, { timeoutMs: 60_000 }).catch((err: Error) => {
    throw new Error(`${entry} did not start: ${err.message}\n${output}`);
  });
  return {
    child,
    url,
    port,
    output: () => output,
    alive: () => child.exitCode === null && child.signalCode === null,
    stop: async (signal: NodeJS.Signals = 'SIGTERM') => {
      if (child.exitCode === null) child.kill(signal);
      await exited;
    },
  };
}

/** The API process (`src/main.ts`) on 127.0.0.1 and a free port. */
export function startApiProcess(env: Record<string, string> = {}): Promise<AppProcess> {
  return startAppProcess('src/main.ts', { portVariable: 'PORT', readyPath: '/health/live', env: { HOST: '127.0.0.1', ...env } });
}
