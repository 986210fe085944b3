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

  /** An upload body with no byte for this long is refused (408) and its connection closed. */
  @ToInt()
  @IsInt()
  @Min(100)
  UPLOADS_BODY_IDLE_TIMEOUT_MS = 30_000;

  /**
   * Slowest average body rate accepted once the idle timeout has passed (408 below it): 32 KiB/s takes a
   * 100 MiB file in about 53 minutes, within the server's HTTP_REQUEST_TIMEOUT_MS backstop of 1 hour.
   */
  @ToInt()
  @IsInt()
  @Min(0)
  UPLOADS_MIN_BODY_RATE_BYTES_PER_S = 32 * 1024;

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

  /** Jobs still queued (never started) this long after acceptance end as `expired` (24 h); a started job is ended by its worker. */
  @ToInt()
  @IsInt()
  @Min(1000)
  UPLOADS_JOB_TTL_MS = 86_400_000;

  /** How long an Idempotency-Key answer is replayed (24 h). */
  @ToInt()
  @IsInt()
  @Min(1000)
  UPLOADS_IDEMPOTENCY_TTL_MS = 86_400_000;

  /**
   * An Idempotency-Key claim whose request never finished (its API process died while streaming) may be taken
   * over by a retry after this long (65 min). Must exceed the longest a request can run (HTTP_REQUEST_TIMEOUT_MS,
   * 1 h), or a slow but live upload could lose its key to a retry.
   */
  @ToInt()
  @IsInt()
  @Min(1000)
  UPLOADS_IDEMPOTENCY_STALE_MS = 3_900_000;

  /** Finished jobs (completed, failed, cancelled, expired) are deleted from `upload_jobs` this long after they ended (30 days). */
  @ToInt()
  @IsInt()
  @Min(60_000)
  UPLOADS_FINISHED_RETENTION_MS = 2_592_000_000;

  /**
   * A staged GridFS file no queued or active job refers to (left by a process that died mid-upload) is deleted
   * once it is this old (2 h): longer than any request can stream (HTTP_REQUEST_TIMEOUT_MS, 1 h).
   */
  @ToInt()
  @IsInt()
  @Min(60_000)
  UPLOADS_ORPHAN_FILE_AGE_MS = 7_200_000;

  /** How often the worker's retention sweeper runs (one replica at a time): idempotency records, finished jobs, orphaned files. */
  @ToInt()
  @IsInt()
  @Min(1000)
  UPLOADS_SWEEP_INTERVAL_MS = 300_000;

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
