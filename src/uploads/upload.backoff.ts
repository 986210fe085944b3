/** A failure worth another attempt; `retryAfterMs` is a floor for the backoff (the breaker's reopen time). */
export class RetryableUploadError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs = 0,
  ) {
    super(message);
    this.name = 'RetryableUploadError';
  }
}

/**
 * Bull's backoff for upload jobs: exponential with "equal jitter" (half fixed,
 * half random, so replicas retrying together spread out), never sooner than
 * the breaker's Retry-After carried by the error.
 */
export function uploadBackoff(baseMs: number) {
  return (attemptsMade: number, err?: Error): number => {
    const ceiling = baseMs * 2 ** Math.max(0, attemptsMade - 1);
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    const floor = err instanceof RetryableUploadError ? err.retryAfterMs : 0;
    return Math.round(Math.max(delay, floor));
  };
}

