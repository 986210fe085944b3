import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/** Repository root. */
export const ROOT = join(__dirname, '..', '..', '..');

/**
 * Path of an ops tool (helm, promtool, redis-sentinel, mongodump, mongorestore), installing it through
 * scripts/ops-tools.sh when it is missing, so a clean clone needs no separate step. The first helm build
 * takes a few minutes: callers give their beforeAll a long timeout.
 */
export function opsTool(name: 'helm' | 'promtool' | 'redis-sentinel' | 'mongodump' | 'mongorestore'): string {
  return execFileSync('bash', [join(ROOT, 'scripts', 'ops-tools.sh'), 'path', name], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
}

/** Runs a tool and returns its exit status and combined output (never throws on a non-zero exit). */
export function run(bin: string, args: string[], cwd = ROOT): { status: number; output: string } {
  try {
    // The test's process.env explicitly: jest gives each test file its own copy, which children would not see.
    const output = execFileSync(bin, args, { cwd, env: process.env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return { status: 0, output };
  } catch (error) {
    const e = error as { status?: number; stdout?: string; stderr?: string };
    return { status: e.status ?? 1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

/** The first build of a tool from the Go module proxy can take minutes on a 2-core machine. */
export const TOOL_INSTALL_TIMEOUT_MS = 20 * 60 * 1000;
