import { existsSync } from 'node:fs';
import type { Type } from '@nestjs/common';
import { Logger } from 'nestjs-pino';
import { AppConfig } from '../config/app.config';
import { type ConfigSliceClass, ConfigValidationError, validateEnvironment } from '../config/env.validation';
import { createHttpApp } from './http-app';
import { installLastResort } from './last-resort';
import { installGracefulShutdown } from './shutdown';

/** Loads .env (outside tests) once, before any config slice is read. */
export function loadDotEnv(path = '.env'): void {
  if (process.env.NODE_ENV !== 'test' && existsSync(path)) process.loadEnvFile(path);
}

export interface ProcessOptions {
  kind: 'api' | 'worker';
  /** Validated before Nest starts, so a bad variable stops the process with one clear message. */
  configSlices: readonly ConfigSliceClass[];
  port: (config: AppConfig) => number;
  swagger: boolean;
}

/**
 * Starts one of the two processes. A configuration error is printed as one
 * message naming every bad variable, and the process exits 1.
 */
export async function runProcess(rootModule: Type, options: ProcessOptions): Promise<void> {
  loadDotEnv();
  try {
    validateEnvironment(process.env, options.configSlices);
    const app = await createHttpApp(rootModule, { swagger: options.swagger });
    const logger = app.get(Logger);
    const config = app.get(AppConfig);
    installGracefulShutdown(app, logger);
    installLastResort((message, error) => logger.error({ err: error }, message, 'Process'));
    await app.listen({ port: options.port(config), host: config.HOST });
    const url = (await app.getUrl()).replace('[::1]', 'localhost').replace('127.0.0.1', 'localhost');
    logger.log(`${options.kind} listening on ${url}`, 'Bootstrap');
    if (options.swagger && config.SWAGGER_ENABLED) logger.log(`Swagger UI: ${url}/docs`, 'Bootstrap');
  } catch (error) {
    const configError = findConfigError(error);
    process.stderr.write(
      configError ? `${configError.message}\n` : `${options.kind} failed to start: ${describe(error)}\n`,
    );
    process.exit(1);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function findConfigError(error: unknown): ConfigValidationError | undefined {
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth++) {
    if (current instanceof ConfigValidationError) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
