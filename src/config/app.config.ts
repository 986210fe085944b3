import { IsBoolean, IsIn, IsInt, IsString, Max, Min, MinLength } from 'class-validator';
import { ToBool, ToInt, ToList } from './env.transforms';
import type { ConfigSlice } from './env.validation';

export type NodeEnv = 'development' | 'test' | 'production';
export type LogFormat = 'json' | 'pretty';

/** HTTP server, process and cross-cutting settings shared by the API and the worker. */
export class AppConfig implements ConfigSlice {
  /** development | test | production; production turns on the strict checks below. */
  @IsIn(['development', 'test', 'production'])
  NODE_ENV: NodeEnv = 'development';

  @IsString()
  @MinLength(1)
  HOST = '127.0.0.1';

  @ToInt()
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3000;

  /** Port of the worker's own probe and metrics endpoints. */
  @ToInt()
  @IsInt()
  @Min(0)
  @Max(65535)
  WORKER_PORT = 3001;

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  /**
   * `json` (one JSON object per line: the production format, what log pipelines parse) or `pretty`
   * (human-readable lines through pino-pretty, for a terminal in local development; scripts/start.sh sets it).
   * Refused in production rather than silently forced to JSON: a deployment asking for it is misconfigured.
   */
  @IsIn(['json', 'pretty'])
  LOG_FORMAT: LogFormat = 'json';

  /**
   * The Flickr URLs and app point at the local sandbox Flickr (tools/sandbox-flickr, started by scripts/start.sh
   * when no Flickr credentials are configured). It only marks the processes' logs; the gateway behaves the same.
   * Refused in production (its plain-http URLs are refused there too).
   */
  @ToBool()
  @IsBoolean()
  FLICKR_SANDBOX = false;

  /** Comma-separated allowed browser origins; empty means no cross-origin access. */
  @ToList()
  @IsString({ each: true })
  CORS_ORIGINS: string[] = [];

  @ToInt()
  @IsInt()
  @Min(1024)
  @Max(100 * 1024 * 1024)
  JSON_BODY_LIMIT_BYTES = 10 * 1024 * 1024;

  /** Time for a client to send the request line and headers (Node's headersTimeout); 408 and close after it. */
  @ToInt()
  @IsInt()
  @Min(1000)
  HTTP_HEADERS_TIMEOUT_MS = 10_000;

  /**
   * Time for a non-multipart body (JSON) to arrive once the headers are in; the connection is closed after it.
   * Uploads have their own idle and minimum-rate limits (UPLOADS_BODY_IDLE_TIMEOUT_MS, UPLOADS_MIN_BODY_RATE_BYTES_PER_S).
   */
  @ToInt()
  @IsInt()
  @Min(100)
  HTTP_BODY_TIMEOUT_MS = 10_000;

  /**
   * Backstop for any whole request, uploads included (Node's requestTimeout): long enough for a 100 MiB upload
   * at the minimum upload rate.
   */
  @ToInt()
  @IsInt()
  @Min(1000)
  HTTP_REQUEST_TIMEOUT_MS = 3_600_000;

  /** How long an idle keep-alive connection stays open. */
  @ToInt()
  @IsInt()
  @Min(100)
  HTTP_KEEP_ALIVE_TIMEOUT_MS = 72_000;

  /** Time between readiness flipping to 503 and the server refusing new connections. */
  @ToInt()
  @IsInt()
  @Min(0)
  SHUTDOWN_DRAIN_DELAY_MS = 2000;

  /** Hard limit for the whole shutdown; past it the process exits 1. */
  @ToInt()
  @IsInt()
  @Min(1000)
  SHUTDOWN_GRACE_MS = 25000;

  @ToInt()
  @IsInt()
  @Min(100)
  HEALTH_CHECK_TIMEOUT_MS = 1000;

  @ToBool()
  @IsBoolean()
  SWAGGER_ENABLED = true;

  productionProblems(): string[] {
    const problems: string[] = [];
    if (this.CORS_ORIGINS.some((o) => o === '*' || o.includes('*'))) {
      problems.push('CORS_ORIGINS: wildcard origins are refused in production');
    }
    if (this.CORS_ORIGINS.some((o) => o.startsWith('http://'))) {
      problems.push('CORS_ORIGINS: plain-http origins are refused in production');
    }
    if (this.FLICKR_SANDBOX) {
      problems.push('FLICKR_SANDBOX: the sandbox Flickr is for local development and is refused in production; configure FLICKR_CONSUMER_KEY/SECRET of a real Flickr app');
    }
    if (this.LOG_FORMAT !== 'json') problems.push('LOG_FORMAT: pretty is for local development; production logs are JSON');
    return problems;
  }
}
