import { IsInt, IsString, Max, Min } from 'class-validator';
import { ToInt, ToList } from '../config/env.transforms';
import type { ConfigSlice } from '../config/env.validation';

/** The upload queue: intake limits, backpressure, scheduling and worker behaviour (docs/queue.md). */
export class UploadsConfig implements ConfigSlice {
  /** Largest file accepted, counted while streaming (100 MiB, Flickr's photo limit is 200 MB, video 1 GB). */
  @ToInt()
  @IsInt()
  @Min(1)
  UPLOADS_MAX_FILE_BYTES = 100 * 1024 * 1024;

  /** Media types accepted for the file part (415 otherwise). */
  @ToList()
  @IsString({ each: true })
  UPLOADS_MEDIA_TYPES: string[] = [
    'image/jpeg',
    'image/png',
    'image/gif',
    'image/tiff',
    'image/webp',
    'image/heic',
    'video/mp4',
    'video/quicktime',
    'video/mpeg',
    'video/x-msvideo',
    'video/webm',
  ];

  /** Accepted, not yet finished jobs per client; beyond, 429 with Retry-After. */
  @ToInt()
  @IsInt()
  @Min(1)
  UPLOADS_MAX_PENDING_PER_CLIENT = 1000;

  /** Accepted, not yet finished jobs for all clients together; beyond, 503 with Retry-After. */
  @ToInt()
  @IsInt()
  @Min(1)
  UPLOADS_MAX_PENDING_TOTAL = 50_000;

  /** Retry-After sent with the 429 and 503 refusals. */
  @ToInt()
  @IsInt()
  @Min(1)
  UPLOADS_RETRY_AFTER_SECONDS = 30;

  /** Jobs not finished this long after acceptance end as `expired` (24 h). */
  @ToInt()
  @IsInt()
  @Min(1000)
  UPLOADS_JOB_TTL_MS = 86_400_000;

  /** How long an Idempotency-Key answer is replayed (24 h). */
  @ToInt()
  @IsInt()
  @Min(1000)
  UPLOADS_IDEMPOTENCY_TTL_MS = 86_400_000;

  /** Jobs the dispatcher keeps waiting in Bull beyond the active ones: small, so fairness is decided in our lanes. */
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(100)
  UPLOADS_DISPATCH_DEPTH = 2;

  /** Uploads one worker process runs at once. */
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(64)
  UPLOADS_WORKER_CONCURRENCY = 2;

  /** Attempts per job for transient failures (5xx, 429, timeouts, breaker open). */
  @ToInt()
  @IsInt()
  @Min(1)
  UPLOADS_MAX_ATTEMPTS = 6;

  /** First retry delay; doubles per attempt, with full jitter. */
  @ToInt()
  @IsInt()
  @Min(1)
  UPLOADS_RETRY_BASE_MS = 2000;

  /** Bull's lock on an active job; a worker that dies is detected after this (and the stalled check below). */
  @ToInt()
  @IsInt()
  @Min(500)
  UPLOADS_LOCK_MS = 30_000;

  /** How often Bull looks for stalled jobs (lock expired) and puts them back. */
  @ToInt()
  @IsInt()
  @Min(200)
  UPLOADS_STALLED_CHECK_MS = 15_000;

  /** Times a job may stall (its worker died) before Bull gives up on it. */
  @ToInt()
  @IsInt()
  @Min(1)
  UPLOADS_MAX_STALLED = 5;

  /** Dispatcher tick: feeds Bull, recovers lost dispatches, expires old jobs, updates the depth gauge. */
  @ToInt()
  @IsInt()
  @Min(20)
  UPLOADS_DISPATCH_INTERVAL_MS = 200;

  /** Ticket polling interval and the longest wait for Flickr to finish an async upload. */
  @ToInt()
  @IsInt()
  @Min(10)
  UPLOADS_TICKET_POLL_MS = 1000;

  @ToInt()
  @IsInt()
  @Min(1000)
  UPLOADS_TICKET_TIMEOUT_MS = 600_000;

  /** Longest time for sending one file to Flickr and reading its answer (FLICKR_TIMEOUT_MS is for small calls). */
  @ToInt()
  @IsInt()
  @Min(1000)
  UPLOADS_UPLOAD_TIMEOUT_MS = 600_000;

  /** Clients named in queue_depth_per_token (the deepest N); the rest are summed as `other`. */
  @ToInt()
  @IsInt()
  @Min(0)
  @Max(100)
  UPLOADS_METRICS_TOP_CLIENTS = 10;

  /** Every default is safe in production; nothing extra to check. */
  productionProblems(): string[] {
    return [];
  }
}
