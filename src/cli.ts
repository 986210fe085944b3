import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CONFIG_SLICES, CORE_MODULES } from './app.module';
import { loadDotEnv } from './bootstrap/run';
import { validateEnvironment } from './config/env.validation';
import { KeyRotationService } from './kms/key-rotation.service';
import { TokenMigrationService } from './tokens/token-migration.service';
import { TokenRewrapJob } from './tokens/token-rewrap.job';
import { UserScopeMigrationService } from './users/user-scope-migration.service';
import { UsersModule } from './users/users.module';

const USAGE = `usage: node dist/cli.js <command> [options]
  tokens:migrate [--dry-run] [--verify] [--batch-size=N]   encrypt legacy plaintext token documents (resumable)
  tokens:status                                            how many documents are still plaintext
  kms:rotate <user-tokens|app-credentials>                 rotate a key, then rewrap its envelopes
  users:scope-migrate [--dry-run] [--batch-size=N]         move users and tokens written before per-client user ids (resumable)
  kms:rewrap [user-tokens|app-credentials] [--batch-size=N]
                                                           re-wrap every stored data key of one key (default: both)
                                                           to its newest version (resumable)`;

/** The same modules as the API and worker, without listening on a port. */
@Module({ imports: [...CORE_MODULES, UsersModule] })
class CliModule {}

function flag(args: string[], name: string): boolean {
  return args.includes(`--${name}`);
}

function intOption(args: string[], name: string): number | undefined {
  const raw = args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new Error(`--${name} must be a positive integer`);
  return Number(raw);
}

/** Prints one JSON line per report (machine-readable), never a token. Exit 1 on failure or failed verification. */
async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  if (!command || command === '--help') {
    process.stdout.write(`${USAGE}\n`);
    return command ? 0 : 2;
  }
  loadDotEnv();
  // A one-shot command must not start the hourly rotation schedule.
  process.env.KMS_ROTATION_SCHEDULE_ENABLED = 'false';
  validateEnvironment(process.env, CONFIG_SLICES);
  const app = await NestFactory.createApplicationContext(CliModule, { logger: ['error', 'warn'] });
  try {
    switch (command) {
      case 'tokens:migrate': {
        const migration = app.get(TokenMigrationService);
        const report = await migration.run({
          dryRun: flag(args, 'dry-run'),
          verify: flag(args, 'verify'),
          batchSize: intOption(args, 'batch-size'),
          actor: 'cli',
          afterBatch: (r) => void process.stderr.write(`migrated ${r.migrated} of ${r.scanned} scanned\n`),
        });
        process.stdout.write(`${JSON.stringify({ command, ...report })}\n`);
        return report.verifyFailures > 0 ? 1 : 0;
      }
      case 'users:scope-migrate': {
        const report = await app.get(UserScopeMigrationService).run({
          dryRun: flag(args, 'dry-run'),
          batchSize: intOption(args, 'batch-size'),
          actor: 'cli',
          afterBatch: (r) => void process.stderr.write(`moved ${r.usersMoved} users, ${r.tokensMoved} tokens of ${r.scanned} scanned\n`),
        });
        process.stdout.write(`${JSON.stringify({ command, ...report })}\n`);
        return report.remaining > 0 && !report.dryRun ? 1 : 0;
      }
      case 'tokens:status': {
        const remaining = await app.get(TokenMigrationService).remaining();
        const rewrap = await app.get(TokenRewrapJob).progress();
        process.stdout.write(`${JSON.stringify({ command, plaintextRemaining: remaining, rewrap })}\n`);
        return 0;
      }
      case 'kms:rotate': {
        const rotation = app.get(KeyRotationService);
        const purpose = rotation.purpose(args[0] ?? '');
        const key = await rotation.rotate(purpose, 'cli');
        const rewrap = await app.get(TokenRewrapJob).run({ actor: 'cli', purpose });
        process.stdout.write(`${JSON.stringify({ command, key, rewrap })}\n`);
        return 0;
      }
      case 'kms:rewrap': {
        // Both keys unless one is named: user-tokens (tokens, oauth_pending) and app-credentials (api_keys signing secrets).
        const named = args.find((a) => !a.startsWith('--'));
        const job = app.get(TokenRewrapJob);
        const batchSize = intOption(args, 'batch-size');
        const keys = named
          ? [await job.run({ actor: 'cli', batchSize, purpose: app.get(KeyRotationService).purpose(named) })]
          : await job.runAll({ actor: 'cli', batchSize });
        const remaining = keys.reduce((sum, k) => sum + k.remaining, 0);
        process.stdout.write(`${JSON.stringify({ command, status: 'done', remaining, keys })}\n`);
        return 0;
      }
      default:
        process.stderr.write(`unknown command '${command}'\n${USAGE}\n`);
        return 2;
    }
  } finally {
    await app.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
