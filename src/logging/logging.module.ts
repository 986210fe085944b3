import { Injectable, Logger, Module, type OnApplicationBootstrap } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { DestinationStream, LoggerOptions } from 'pino';
import { currentRequestContext } from '../common/http/request-context';
import { AppConfig, type LogFormat } from '../config/app.config';
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
 * Where pretty lines go: pino-pretty as an in-process stream (not a transport thread), so what it prints is
 * exactly what pino wrote after redaction and serializers (redaction runs before any destination sees the line).
 * Loaded only when asked for: with LOG_FORMAT=json (the default, production) pino-pretty is never required and the
 * JSON path is the same as without this option. pino-pretty is a dev dependency: production refuses `pretty`.
 * One line per entry: level, time, context and message, with the request line's method, URL, status and time
 * (its headers and the other fields stay in the JSON format).
 */
export function prettyStream(destination?: NodeJS.WritableStream): DestinationStream {
  // A plain require, at call time: an optional, development-only dependency.
  const pretty = require('pino-pretty') as typeof import('pino-pretty');
  return pretty({
    destination: destination ?? 1,
    sync: true,
    colorize: destination ? false : Boolean(process.stdout.isTTY),
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,context,req,res,responseTime,requestId',
    messageFormat: prettyMessage,
    singleLine: true,
  });
}

/** `[Context] message`, and for the request line `GET /path → 200 in 3 ms (request id)`. */
function prettyMessage(log: Record<string, unknown>, messageKey: string): string {
  const context = typeof log.context === 'string' ? `[${log.context}] ` : '';
  const req = log.req as { method?: string; url?: string } | undefined;
  const res = log.res as { statusCode?: number } | undefined;
  const request = req?.method ? ` ${req.method} ${req.url} → ${res?.statusCode} in ${Math.round(Number(log.responseTime))} ms` : '';
  const id = typeof log.requestId === 'string' ? ` (${log.requestId})` : '';
  return `${context}${String(log[messageKey] ?? '')}${request}${id}`;
}

/** nestjs-pino's `pinoHttp`: the options alone for JSON (pino writes to stdout), options and a pretty stream for `pretty`. */
export function pinoHttpOptions(level: string, format: LogFormat): LoggerOptions | [LoggerOptions, DestinationStream] {
  const options = { ...loggerOptions(level), autoLogging: false };
  return format === 'pretty' ? [options, prettyStream()] : options;
}

/** One warning at start-up when the Flickr behind this process is the local sandbox (FLICKR_SANDBOX=true). */
@Injectable()
export class SandboxNotice implements OnApplicationBootstrap {
  private readonly logger = new Logger('Sandbox');

  constructor(private readonly config: AppConfig) {}

  onApplicationBootstrap(): void {
    if (this.config.FLICKR_SANDBOX) {
      this.logger.warn('SANDBOX MODE: Flickr is the local sandbox Flickr (tools/sandbox-flickr), not flickr.com; for local development only');
    }
  }
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
        pinoHttp: pinoHttpOptions(config.LOG_LEVEL, config.LOG_FORMAT),
        forRoutes: [],
      }),
    }),
  ],
  providers: [SandboxNotice],
})
export class LoggingModule {}
