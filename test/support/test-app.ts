import type { ModuleMetadata, Type } from '@nestjs/common';
import { getConnectionToken } from '@nestjs/mongoose';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import type { Connection } from 'mongoose';
import { Redis } from 'ioredis';
import { AppModule } from '../../src/app.module';
import { configureApp, createAdapter } from '../../src/bootstrap/http-app';

export interface TestApp {
  app: NestFastifyApplication;
  /** Base URL of the app listening on a loopback port. */
  url: string;
  /** Drops this file's database and Redis keys, then closes the app. */
  close(): Promise<void>;
}

/**
 * Boots the real AppModule (optionally with fixture controllers) through the
 * same adapter and configuration as src/main.ts, listening on a free port.
 */
export async function startTestApp(
  options: { env?: Record<string, string>; controllers?: Type[]; imports?: ModuleMetadata['imports'] } = {},
): Promise<TestApp> {
  Object.assign(process.env, options.env ?? {});
  const moduleRef = await Test.createTestingModule({
    imports: [AppModule, ...(options.imports ?? [])],
    controllers: options.controllers ?? [],
  }).compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(createAdapter(), { bufferLogs: true, bodyParser: false });
  await configureApp(app, { swagger: true });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return {
    app,
    url,
    close: async () => {
      await cleanup(app);
      await app.close();
    },
  };
}

async function cleanup(app: NestFastifyApplication): Promise<void> {
  const connection = app.get<Connection>(getConnectionToken(), { strict: false });
  await connection.dropDatabase().catch(() => undefined);
  const redis = app.get(Redis, { strict: false });
  const prefix = redis.options.keyPrefix ?? '';
  if (redis.status === 'ready' && prefix) {
    // A client without the prefix, since KEYS returns full names that the prefixed client would prefix again.
    // Offline queue on: the app's client fails fast once connected, and this new one has not connected yet.
    const raw = redis.duplicate({ keyPrefix: '', enableOfflineQueue: true });
    const keys = await raw.keys(`${prefix}*`);
    if (keys.length > 0) await raw.del(...keys);
    raw.disconnect();
  }
}

/**
 * A second API replica: `env` (what the first app was started with) with `overrides`. startTestApp
 * writes its env into process.env (worker processes inherit it), so the overrides are taken back once
 * the replica has read its config.
 */
export async function startReplica(env: Record<string, string>, overrides: Record<string, string>): Promise<TestApp> {
  const replica = await startTestApp({ env: { ...env, ...overrides } });
  for (const name of Object.keys(overrides)) {
    if (name in env) process.env[name] = env[name];
    else delete process.env[name];
  }
  return replica;
}
