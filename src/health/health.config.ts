import { IsInt, Max, Min } from 'class-validator';
import { ToInt } from '../config/env.transforms';
import type { ConfigSlice } from '../config/env.validation';

/** Readiness: how patient /health/ready is with a failing dependency. */
export class HealthConfig implements ConfigSlice {
  /**
   * A dependency (MongoDB, Redis, KMS) fails readiness only after it has failed continuously for this long.
   * Every replica shares those dependencies, so failing at once on one blip would take every pod out of the
   * Service together; within the grace readiness stays 200 and reports the dependency as `degraded`, while
   * the request path already answers 503 for what needs it. 0 fails readiness on the first failed check.
   */
  @ToInt()
  @IsInt()
  @Min(0)
  @Max(600_000)
  HEALTH_READY_FAILURE_GRACE_MS = 10_000;

  /** No production-only rule: any grace (0 included) is a valid choice. */
  productionProblems(): string[] {
    return [];
  }
}
