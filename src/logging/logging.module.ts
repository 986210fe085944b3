import { Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { LoggerOptions } from 'pino';
import { currentRequestContext } from '../common/http/request-context';
import { AppConfig } from '../config/app.config';
import { REDACTED, REDACT_PATHS, redactUrl } from './redaction';

/** What the request log line says about the request (secrets in the URL masked; headers redacted by path). */
export interface LoggedRequest {
  id: string;
  method: string;
  url: string;
  headers: Record<string, unknown>;
  remoteAddress?: string;
}

/**
 * pino options shared by the API and the worker (and by the redaction test).
 *
 * Nothing here runs for a line that is not written: serializers and redaction apply when a line is
 * serialised, and the request id comes from the mixin (read from the request context the pipeline
 * entered) instead of a child logger built for every request, as pino-http did (issue 15's profile:
 * child creation and redaction of the bindings ran per request even with the level at `warn`).
 */
export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: { paths: REDACT_PATHS, censor: REDACTED },
    mixin: () => {
      const context = currentRequestContext();
      return context ? { requestId: context.requestId } : {};
    },
    serializers: {
      req: (req: LoggedRequest) => ({ ...req, url: redactUrl(req.url) }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  };
}

/**
 * nestjs-pino provides Nest's Logger and PinoLogger on the one pino instance. Its per-route
 * middleware (pino-http run through middie on every request) is not mounted: the request line is
 * written by the pipeline's onResponse hook (src/bootstrap/request-pipeline.ts).
 */
@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        // pino-http here only builds the root logger (nestjs-pino's single instance); it never runs per request.
        pinoHttp: { ...loggerOptions(config.LOG_LEVEL), autoLogging: false },
        forRoutes: [],
      }),
    }),
  ],
})
export class LoggingModule {}
