import { IsInt, Max, Min } from 'class-validator';
import { ToInt } from '../config/env.transforms';
import type { ConfigSlice } from '../config/env.validation';

/** The call audit trail (`audit_logs`). */
export class RequestLogConfig implements ConfigSlice {
  /** Days an audit record is kept (MongoDB TTL index). */
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(3650)
  AUDIT_RETENTION_DAYS = 90;

  /** Records written per insert. */
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(10000)
  AUDIT_BATCH_SIZE = 200;

  /** Longest a record waits in memory before a write is attempted (ms). */
  @ToInt()
  @IsInt()
  @Min(10)
  AUDIT_FLUSH_INTERVAL_MS = 1000;

  /** Records held in memory at most (e.g. while MongoDB is down); beyond that they are counted as dropped. */
  @ToInt()
  @IsInt()
  @Min(1)
  AUDIT_BUFFER_MAX_ENTRIES = 20000;

  productionProblems(): string[] {
    return [];
  }
}
