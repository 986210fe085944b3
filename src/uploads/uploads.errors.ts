import { ProblemException } from '../common/problem/problem.exception';

/** 429: this client already has the maximum number of unfinished uploads. */
export class UploadQueueFullProblem extends ProblemException {
  constructor(limit: number, retryAfterS: number) {
    super(
      'upload-queue-full',
      'Too Many Pending Uploads',
      429,
      `This client already has ${limit} uploads waiting; retry when some have finished.`,
      { limit, retryAfterSeconds: retryAfterS },
      { 'retry-after': String(retryAfterS) },
    );
  }
}

/** 503: the queue as a whole is at its buffer limit; nobody's upload is accepted until it drains. */
export class UploadBufferFullProblem extends ProblemException {
  constructor(retryAfterS: number) {
    super(
      'upload-buffer-full',
      'Upload Queue Saturated',
      503,
      'The upload queue is full for all clients; retry later.',
      { retryAfterSeconds: retryAfterS },
      { 'retry-after': String(retryAfterS) },
    );
  }
}

/** 409: the job has started (or finished) and can no longer be cancelled. */
export class UploadNotCancellableProblem extends ProblemException {
  constructor(status: string) {
    super('upload-not-cancellable', 'Upload Not Cancellable', 409, `The upload is ${status}; only queued uploads can be cancelled.`, {
      status,
    });
  }
}

/** 409: a request with the same Idempotency-Key is still being received. */
export class IdempotencyInProgressProblem extends ProblemException {
  constructor() {
    super(
      'idempotency-in-progress',
      'Request In Progress',
      409,
      'A request with this Idempotency-Key is still being processed; retry shortly to get its answer.',
      {},
      { 'retry-after': '1' },
    );
  }
}

/**
 * 422: the Idempotency-Key was first used for a different request (another method, target user, body length, or
 * upload vs replacement / another photo):
 * replaying the first answer would hide that this upload was never accepted, so nothing is done.
 */
export class IdempotencyKeyMismatchProblem extends ProblemException {
  constructor() {
    super(
      'idempotency-key-mismatch',
      'Idempotency Key Reused',
      422,
      'This Idempotency-Key was used for a different request (method, user, photo or body length differ); send a new upload with a new key.',
    );
  }
}

/** 400: the multipart body is malformed or has no file part. */
export class InvalidUploadProblem extends ProblemException {
  constructor(detail: string) {
    super('invalid-upload', 'Invalid Upload', 400, detail);
  }
}

/** 408: the upload body arrived too slowly (idle, or below the minimum average rate); the connection is closed. */
export class UploadTooSlowProblem extends ProblemException {
  constructor(idleTimeoutMs: number, minBytesPerSecond: number) {
    super(
      'upload-too-slow',
      'Upload Too Slow',
      408,
      `The upload body must keep arriving (no pause of ${idleTimeoutMs / 1000} s) at ${minBytesPerSecond} bytes/s on average at least.`,
    );
  }
}
