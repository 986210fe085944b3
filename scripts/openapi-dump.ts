/**
 * Writes the gateway's OpenAPI document (the one served at `/docs-json`) without
 * a running server or any database: Nest builds the AppModule in preview mode
 * (modules and routes are scanned, no provider is instantiated, so nothing
 * connects to MongoDB, Redis or the KMS), then the same DocumentBuilder and
 * completion (`completeOpenApi`) as src/bootstrap/http-app.ts run over it.
 *
 *   node -r ts-node/register/transpile-only scripts/openapi-dump.ts [--out file.json]
 *
 * Without `--out` the JSON goes to stdout. packages/sdk regenerates its types
 * from this (`npm run sdk:generate`); test/sdk/openapi-drift.e2e-spec.ts checks
 * that it equals what the real app serves.
 */
import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { AppModule } from '../src/app.module';
import { completeOpenApi } from '../src/bootstrap/openapi';

/**
 * Same title, description, version and API-key scheme as `setupSwagger` in
 * src/bootstrap/http-app.ts (private there); the drift test compares the two
 * documents, so a change on one side without the other fails it.
 */
export function documentConfig(): Omit<OpenAPIObject, 'paths'> {
  return new DocumentBuilder()
    .setTitle('flickr-gateway')
    .setDescription('Act on Flickr for your users, safely. Errors are application/problem+json (RFC 9457).')
    .setVersion('1')
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'fgw_<id>_<secret>' }, 'api-key')
    .build();
}

/** The completed OpenAPI document of the API process, built offline. */
export async function buildOpenApiDocument(): Promise<OpenAPIObject> {
  const app = await NestFactory.create<NestFastifyApplication>(AppModule, new FastifyAdapter(), {
    preview: true,
    logger: false,
    abortOnError: false,
  });
  try {
    return completeOpenApi(SwaggerModule.createDocument(app, documentConfig()));
  } finally {
    await app.close().catch(() => undefined);
  }
}

async function main(): Promise<void> {
  const outAt = process.argv.indexOf('--out');
  const json = `${JSON.stringify(await buildOpenApiDocument(), null, 2)}\n`;
  if (outAt > 0 && process.argv[outAt + 1]) writeFileSync(process.argv[outAt + 1], json);
  // Into a pipe stdout is asynchronous: exiting before the write is flushed would cut the document.
  else await new Promise<void>((resolve, reject) => process.stdout.write(json, (error) => (error ? reject(error) : resolve())));
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`openapi-dump: ${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(1);
    },
  );
}
