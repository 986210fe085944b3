/**
 * Creates the first admin key on an empty database and prints it once:
 *   node dist/cli/create-admin-key.js [--client-id operator] [--name "first admin key"] [--force] [--out <file>]
 * Refuses when an active admin key already exists (use the admin API then), unless --force.
 * With --out the key goes to a new file (mode 0600; never overwritten) instead of stdout, which then only names the
 * file: scripts/start.sh keeps the first admin key of a local database that way, out of the terminal and the logs.
 */
import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CONFIG_SLICES } from '../app.module';
import { ApiKeyAdmin } from '../auth/api-key.admin';
import { ApiKeyIssuer } from '../auth/api-key.issuer';
import { AuthModule } from '../auth/auth.module';
import { loadDotEnv } from '../bootstrap/run';
import { AppConfigModule } from '../config/app-config.module';
import { DatabaseModule } from '../database/database.module';
import { RedisModule } from '../redis/redis.module';

@Module({ imports: [AppConfigModule.forRoot(CONFIG_SLICES), DatabaseModule, RedisModule, AuthModule] })
class CreateAdminKeyModule {}

function option(argv: string[], name: string, fallback: string): string {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] ? argv[i + 1] : fallback;
}

/** Exit code 0 with the key on stdout; 1 when refused or failed (message on stderr). */
export async function createAdminKey(argv: string[]): Promise<number> {
  const app = await NestFactory.createApplicationContext(CreateAdminKeyModule, { logger: ['error', 'warn'] });
  try {
    if (!argv.includes('--force') && (await app.get(ApiKeyAdmin).countActiveAdmins()) > 0) {
      process.stderr.write('An active admin key already exists; create further keys through POST /admin/keys (or pass --force).\n');
      return 1;
    }
    const issued = await app.get(ApiKeyIssuer).create(
      { client_id: option(argv, 'client-id', 'operator'), name: option(argv, 'name', 'first admin key'), role: 'admin' },
      'cli',
    );
    const text = `${JSON.stringify({ key_id: issued.key_id, client_id: issued.client_id, api_key: issued.api_key, signing_secret: issued.signing_secret }, null, 2)}\n`;
    const out = option(argv, 'out', '');
    if (out) {
      // 'wx': an existing file (another key) is never replaced; 0600: only its owner reads it.
      writeFileSync(out, text, { mode: 0o600, flag: 'wx' });
      process.stdout.write(`admin key ${issued.key_id} written to ${out}\n`);
      return 0;
    }
    // The only place the secrets are ever shown: stdout of this command (or the --out file).
    process.stdout.write(text);
    return 0;
  } finally {
    await app.close();
  }
}

if (require.main === module) {
  // Like the API and the worker: the same .env, so the key lands in the database they use.
  loadDotEnv();
  createAdminKey(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: Error) => {
      process.stderr.write(`create-admin-key failed: ${err.message}\n`);
      process.exit(1);
    },
  );
}
