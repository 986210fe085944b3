import { IsIn, IsInt, IsOptional, IsString, Matches, Min } from 'class-validator';
import { ToInt } from '../config/env.transforms';
import type { ConfigSlice } from '../config/env.validation';

/** MongoDB (or a wire-compatible server such as FerretDB for local runs). */
export class MongoConfig implements ConfigSlice {
  /** A replica-set URI in production, e.g. mongodb://a,b,c/flickr_gateway?replicaSet=rs0 */
  @Matches(/^mongodb(\+srv)?:\/\/\S+$/, { message: 'must be a mongodb:// or mongodb+srv:// URI' })
  MONGODB_URI = 'mongodb://127.0.0.1:27018/flickr_gateway';

  /** Overrides the database named in the URI (tests use one database per file). */
  @IsOptional()
  @IsString()
  MONGODB_DATABASE?: string;

  /**
   * How long an operation waits for a usable server (all down, or a replica set electing) before it fails; the
   * request then answers 503 database-unavailable. This is the bound of a request while MongoDB is unreachable.
   */
  @ToInt()
  @IsInt()
  @Min(100)
  MONGODB_SERVER_SELECTION_TIMEOUT_MS = 5000;

  /** How long opening a TCP connection to a server may take (a host that drops packets instead of refusing). */
  @ToInt()
  @IsInt()
  @Min(100)
  MONGODB_CONNECT_TIMEOUT_MS = 2000;

  /**
   * How long the driver waits for a reply on an open connection before failing the operation (a server that
   * accepts but hangs); 0 would wait forever. Above the slowest single operation we run: each GridFS chunk is
   * its own operation, and nothing in the API issues a long-running query.
   */
  @ToInt()
  @IsInt()
  @Min(1000)
  MONGODB_SOCKET_TIMEOUT_MS = 10_000;

  /** Read preference for read-heavy paths; writes always go to the primary. */
  @IsIn(['primary', 'primaryPreferred', 'secondary', 'secondaryPreferred', 'nearest'])
  MONGODB_READ_PREFERENCE = 'primaryPreferred';

  productionProblems(raw: Record<string, unknown>): string[] {
    return raw.MONGODB_URI ? [] : ['MONGODB_URI: must be set in production'];
  }
}
