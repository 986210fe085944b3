import type { IncomingMessage } from 'node:http';
import { Module, RequestMethod } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { Options } from 'pino-http';
import { AppConfig } from '../config/app.config';
import { REDACTED, REDACT_PATHS, redactUrl } from './redaction';

/** pino-http options shared by the API and the worker (and by the redaction test). */
export function pinoHttpOptions(level: string): Options {
  return {
    level,
    // Fastify's genReqId has already chosen the id (see request-id.ts) and stored it on the raw request.
    genReqId: (req: IncomingMessage) => (req as IncomingMessage & { id?: string }).id ?? 'unknown',
    customAttributeKeys: { reqId: 'requestId' },
    // Every line logged during a request (not only the final one) carries `requestId` at the top level.
    quietReqLogger: true,
    redact: { paths: REDACT_PATHS, censor: REDACTED },
    serializers: {
      req: (req: { id: string; method: string; url: string; headers: Record<string, unknown>; remoteAddress?: string }) => ({
        id: req.id,
        method: req.method,
        url: redactUrl(req.url),
        headers: req.headers,
        remoteAddress: req.remoteAddress,
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
    // Probes and scrapes every few seconds would drown the useful lines.
    // (Middleware may see a rewritten req.url; originalUrl is what the client asked for.)
    autoLogging: {
      ignore: (req) => /^\/(health|metrics)/.test((req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url ?? ''),
    },
    customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
  };
}

@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        pinoHttp: pinoHttpOptions(config.LOG_LEVEL),
        // nestjs-pino's default route ('{/*splat}') matches nothing under Nest 12 on Fastify, which left
        // every request unlogged and unbound from its request id; '{*splat}' matches every path.
        forRoutes: [{ path: '{*splat}', method: RequestMethod.ALL }],
      }),
    }),
  ],
})
export class LoggingModule {}
