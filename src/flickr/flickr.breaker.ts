import CircuitBreaker from 'opossum';
import type { FlickrUpstreamError } from './flickr.errors';

const isRateLimited = (error: unknown) => (error as FlickrUpstreamError | undefined)?.httpStatus === 429;

/**
 * The circuit breaker in front of Flickr, on opossum's state machine (closed →
 * open → half-open probe → closed/open). Opossum opens on an error *rate*; our
 * rule is "N consecutive 429s", so the breaker's own threshold is disabled and
 * we open it ourselves on the N-th consecutive 429. Only 429s count as failures:
 * a 500 or a `stat: fail` says nothing about Flickr throttling us.
 */
export class FlickrBreaker {
  private readonly breaker: CircuitBreaker<[() => Promise<unknown>], unknown>;
  private consecutive429 = 0;
  private openedAt = 0;

  constructor(
    private readonly threshold: number,
    private readonly openMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.breaker = new CircuitBreaker((call: () => Promise<unknown>) => call(), {
      timeout: false,
      resetTimeout: openMs,
      volumeThreshold: Number.MAX_SAFE_INTEGER,
      errorThresholdPercentage: 100,
      errorFilter: (error: unknown) => !isRateLimited(error),
    });
    this.breaker.on('open', () => (this.openedAt = this.now()));
  }

  /** Open (and not yet due for its probe): calls must not be sent. */
  get isOpen(): boolean {
    return this.breaker.opened && this.now() - this.openedAt < this.openMs;
  }

  /** Whole seconds until the half-open probe is allowed. */
  get retryAfterSeconds(): number {
    return Math.max(1, Math.ceil((this.openedAt + this.openMs - this.now()) / 1000));
  }

  get state(): 'closed' | 'open' | 'half-open' {
    return this.breaker.halfOpen ? 'half-open' : this.breaker.opened ? 'open' : 'closed';
  }

  async fire<T>(call: () => Promise<T>): Promise<T> {
    try {
      const result = (await this.breaker.fire(call)) as T;
      this.consecutive429 = 0;
      return result;
    } catch (error) {
      if (isRateLimited(error)) {
        this.consecutive429 += 1;
        if (this.consecutive429 >= this.threshold && !this.breaker.opened) this.breaker.open();
      } else {
        this.consecutive429 = 0;
      }
      throw error;
    }
  }

  shutdown(): void {
    this.breaker.shutdown();
  }
}
