import { IsInt, Max, Min } from 'class-validator';
import { ToInt } from '../config/env.transforms';
import type { ConfigSlice } from '../config/env.validation';

/** Outgoing webhooks (docs/webhooks.md): retry schedule, request timeout, sweeper, limits. */
export class WebhooksConfig implements ConfigSlice {
  /**
   * First retry wait ceiling: after the n-th failed attempt the next one waits a random time in
   * [0, min(cap, base · 2^(n-1))] ("full jitter", so failing receivers are not hit in lockstep).
   */
  @ToInt()
  @IsInt()
  @Min(1)
  WEBHOOKS_RETRY_BASE_MS = 30_000;

  /** Longest wait between two attempts of one delivery. */
  @ToInt()
  @IsInt()
  @Min(1)
  WEBHOOKS_RETRY_CAP_MS = 3_600_000;

  /** A delivery still failing this long after its first attempt is given up (`dead`); at least 24 h in production. */
  @ToInt()
  @IsInt()
  @Min(1)
  WEBHOOKS_RETRY_HORIZON_MS = 86_400_000;

  /** Whole-request timeout of one delivery attempt (connect, send, answer headers and body). */
  @ToInt()
  @IsInt()
  @Min(100)
  @Max(60_000)
  WEBHOOKS_REQUEST_TIMEOUT_MS = 10_000;

  /**
   * How often the worker looks for deliveries whose queue job went missing (Redis was down when the event
   * was written, or a worker died mid-attempt): a delivery due for longer than this is enqueued again.
   */
  @ToInt()
  @IsInt()
  @Min(100)
  WEBHOOKS_SWEEP_INTERVAL_MS = 30_000;

  /** Deliveries one worker process attempts at the same time. */
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(200)
  WEBHOOKS_WORKER_CONCURRENCY = 10;

  /** Endpoints one client may register. */
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(1000)
  WEBHOOKS_MAX_ENDPOINTS_PER_CLIENT = 20;

  /** How long events and deliveries (the delivery log) are kept, whatever their state. */
  @ToInt()
  @IsInt()
  @Min(60_000)
  WEBHOOKS_RETENTION_MS = 30 * 86_400_000;

  productionProblems(): string[] {
    const problems: string[] = [];
    if (this.WEBHOOKS_RETRY_HORIZON_MS < 86_400_000) problems.push('WEBHOOKS_RETRY_HORIZON_MS: must be at least 24 h (86400000) in production');
    if (this.WEBHOOKS_RETENTION_MS < this.WEBHOOKS_RETRY_HORIZON_MS) problems.push('WEBHOOKS_RETENTION_MS: must not be shorter than WEBHOOKS_RETRY_HORIZON_MS');
    return problems;
  }
}
