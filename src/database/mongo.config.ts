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

  @ToInt()
  @IsInt()
  @Min(100)
  MONGODB_SERVER_SELECTION_TIMEOUT_MS = 5000;

  /** Read preference for read-heavy paths; writes always go to the primary. */
  @IsIn(['primary', 'primaryPreferred', 'secondary', 'secondaryPreferred', 'nearest'])
  MONGODB_READ_PREFERENCE = 'primaryPreferred';

  productionProblems(raw: Record<string, unknown>): string[] {
    return raw.MONGODB_URI ? [] : ['MONGODB_URI: must be set in production'];
  }
}
