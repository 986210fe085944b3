import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * Starts (or reuses) the real local FerretDB and Redis once per jest run and
 * hands their addresses to every test file through the environment.
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.FGW_TEST_SERVICES_READY) return;
  const script = join(__dirname, '..', '..', 'scripts', 'dev-services.sh');
  execFileSync('bash', [script, 'up'], { stdio: ['ignore', 'inherit', 'inherit'] });
  const env = execFileSync('bash', [script, 'env'], { encoding: 'utf8' });
  for (const line of env.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) process.env[`FGW_TEST_${line.slice(0, eq)}`] = line.slice(eq + 1);
  }
  process.env.FGW_TEST_SERVICES_READY = '1';
}
