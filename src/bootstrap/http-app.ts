import type { IncomingMessage } from 'node:http';
import { type INestApplication, type Type, ValidationPipe } from '@nestjs/common';
import { ModuleRef, NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { ValidationError } from 'class-validator';
import { Logger, PinoLogger } from 'nestjs-pino';
import { REQUEST_ID_HEADER, requestIdFor } from '../common/http/request-id';
import { RequestLogHook } from '../request-log/request-log.hook';
import { completeOpenApi } from './openapi';
import { type AfterResponse, installRequestPipeline } from './request-pipeline';
import { ValidationProblem } from '../common/problem/problem.exception';
import { ProblemFilter } from '../common/problem/problem.filter';
import { AppConfig } from '../config/app.config';
import { loadSlice } from '../config/env.validation';

/** Creates the Fastify adapter; body limit and request id are decided before Nest exists. */
export function createAdapter(env: Record<string, unknown> = process.env): FastifyAdapter {
  const config = loadSlice(AppConfig, env);
  return new FastifyAdapter({
    bodyLimit: config.JSON_BODY_LIMIT_BYTES,
    requestIdHeader: false,
    genReqId: (req: IncomingMessage) => {
      const id = requestIdFor(req);
      // pino-http (a Nest middleware on the raw request) picks the id up from here.
      (req as IncomingMessage & { id?: string }).id = id;
      return id;
    },
    // Keep-alive idle sockets are closed on shutdown; in-flight requests finish.
    forceCloseConnections: 'idle',
    // Slow clients (docs/operations.md#timeouts): the whole-request backstop and idle keep-alive; headers and
    // JSON bodies get tighter limits in configureApp, uploads their own in the intake.
    requestTimeout: config.HTTP_REQUEST_TIMEOUT_MS,
    keepAliveTimeout: config.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    return503OnClosing: true,
    trustProxy: false,
  });
}

/** A provider the app may not have. */
function optional<T>(get: () => T): T | undefined {
  try {
    return get();
  } catch {
    return undefined;
  }
}

function flattenValidation(errors: ValidationError[], parent = ''): string[] {
  return errors.flatMap((e) => {
    const path = parent ? `${parent}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {});
    return [...own, ...flattenValidation(e.children ?? [], path)].map((m) =>
      m.startsWith(path) || !parent ? m : `${path}: ${m}`,
    );
  });
}

/**
 * Everything cross-cutting, shared by the API, the worker and the e2e tests so
 * that they all run the same pipeline.
 */
export async function configureApp(app: NestFastifyApplication, options: { swagger: boolean; afterResponse?: AfterResponse[] }): Promise<void> {
  const config = app.get(AppConfig);
  app.useLogger(app.get(Logger));

  // The request log exists in the API process only (RequestLogModule); the worker serves probes and metrics.
  // Looked up through ModuleRef: the app object NestFactory returns logs an ERROR for every failed get(), even a
  // caught one, and the worker (no request log) printed one at every start.
  const modules = app.get(ModuleRef);
  const requestLog = optional(() => modules.get(RequestLogHook, { strict: false }));
  installRequestPipeline(app, [...(requestLog ? [requestLog.afterResponse] : []), ...(options.afterResponse ?? [])]);

  if (config.CORS_ORIGINS.length > 0) {
    app.enableCors({
      origin: config.CORS_ORIGINS,
      credentials: false,
      exposedHeaders: [REQUEST_ID_HEADER, 'retry-after', 'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset'],
    });
  }

  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      exceptionFactory: (errors) => new ValidationProblem(flattenValidation(errors)),
    }),
  );
  app.useGlobalFilters(new ProblemFilter(await app.resolve(PinoLogger)));

  if (options.swagger && config.SWAGGER_ENABLED) setupSwagger(app);
}

function setupSwagger(app: INestApplication): void {
  const document = completeOpenApi(SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('flickr-gateway')
      .setDescription('Act on Flickr for your users, safely. Errors are application/problem+json (RFC 9457).')
      .setVersion('1')
      .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'fgw_<id>_<secret>' }, 'api-key')
      .build(),
  ));
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
}

/** Builds and configures a Nest Fastify app for a root module, ready to `listen`. */
export async function createHttpApp(
  rootModule: Type,
  options: { swagger: boolean },
): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(rootModule, createAdapter(), {
    bufferLogs: true,
    abortOnError: false,
    // The pipeline registers the body parsers itself (JSON keeping raw bytes, multipart passed through).
    bodyParser: false,
  });
  await configureApp(app, options);
  return app;
}
