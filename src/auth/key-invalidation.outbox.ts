import { Logger } from '@nestjs/common';

/** How hard the outbox tries to deliver one "key changed" message. */
export interface InvalidationRetryOptions {
  /** Bound of one publish attempt (the bus bounds its own publish too; whichever is shorter wins). */
  attemptTimeoutMs: number;
  /** Delay after the first failed attempt; doubles after each further failure, up to maxDelayMs. */
  initialDelayMs: number;
  maxDelayMs: number;
  /**
   * After a delivery that needed retries (Redis was unreachable), publish once
   * more this much later: another replica's subscriber may reconnect after our
   * publisher did, and Redis pub/sub does not keep messages for late subscribers.
   * Longer than the Redis client's reconnect delay cap (2 s).
   */
  settleMs: number;
}

export const DEFAULT_INVALIDATION_RETRY: InvalidationRetryOptions = {
  attemptTimeoutMs: 2000,
  initialDelayMs: 200,
  maxDelayMs: 5000,
  settleMs: 5000,
};

interface Delivery {
  /** Set by every announce; a change made while a message was in flight is sent again. */
  dirty: boolean;
}

/**
 * Delivers "key X changed" to the other replicas in the background, until
 * delivered: the admin write that caused it has already succeeded (and been
 * audited), so a Redis outage must neither fail it nor lose the message. Each
 * attempt is bounded; failures are retried with capped exponential backoff for
 * as long as this process runs. One pending delivery per key id (announcing a
 * key again while it is pending only marks it to be sent once more).
 *
 * If the process stops first, the undelivered ids are logged: other replicas
 * then drop the key at the latest when their cached verification expires
 * (AUTH_VERIFY_CACHE_TTL_MS).
 */
export class KeyInvalidationOutbox {
  private readonly pending = new Map<string, Delivery>();
  private readonly sleepers = new Set<() => void>();
  private closed = false;

  constructor(
    private readonly publish: (keyId: string) => Promise<void>,
    private readonly options: InvalidationRetryOptions = DEFAULT_INVALIDATION_RETRY,
    private readonly logger: Pick<Logger, 'warn' | 'log'> = new Logger('KeyInvalidation'),
  ) {}

  /** Queues one announcement of `keyId`. Never throws and never waits. */
  announce(keyId: string): void {
    if (this.closed) return;
    const current = this.pending.get(keyId);
    if (current) {
      current.dirty = true;
      return;
    }
    const delivery: Delivery = { dirty: true };
    this.pending.set(keyId, delivery);
    void this.deliver(keyId, delivery);
  }

  /** Key ids whose change has not been delivered (or re-sent after an outage) yet. */
  undelivered(): string[] {
    return [...this.pending.keys()];
  }

  /** Stops retrying (process shutdown); returns and logs what was never delivered. */
  close(): string[] {
    this.closed = true;
    for (const wake of this.sleepers) wake();
    this.sleepers.clear();
    const left = this.undelivered();
    if (left.length > 0) {
      this.logger.warn(
        `stopping with ${left.length} key change(s) not announced to other replicas (${left.join(', ')}); ` +
          'they drop those keys when their cached verifications expire (AUTH_VERIFY_CACHE_TTL_MS)',
      );
    }
    return left;
  }

  private async deliver(keyId: string, delivery: Delivery): Promise<void> {
    let delay = this.options.initialDelayMs;
    let failures = 0;
    let settled = false;
    while (!this.closed) {
      if (!delivery.dirty) {
        if (failures === 0 || settled) break;
        settled = true;
        await this.sleep(this.options.settleMs);
        delivery.dirty = true;
        continue;
      }
      delivery.dirty = false;
      try {
        await this.attempt(keyId);
        delay = this.options.initialDelayMs;
      } catch (error) {
        delivery.dirty = true;
        failures++;
        if (failures === 1) this.logger.warn(`announcing a change of key ${keyId} failed (${(error as Error).message}); retrying until delivered`);
        await this.sleep(delay);
        delay = Math.min(delay * 2, this.options.maxDelayMs);
      }
    }
    if (this.closed) return;
    this.pending.delete(keyId);
    if (failures > 0) this.logger.log(`change of key ${keyId} announced after ${failures} failed attempt(s)`);
  }

  private attempt(keyId: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`publish took longer than ${this.options.attemptTimeoutMs} ms`)), this.options.attemptTimeoutMs);
      timer.unref?.();
      Promise.resolve()
        .then(() => this.publish(keyId))
        .then(
          () => {
            clearTimeout(timer);
            resolve();
          },
          (error: unknown) => {
            clearTimeout(timer);
            reject(error instanceof Error ? error : new Error(String(error)));
          },
        );
    });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      timer.unref?.();
      this.sleepers.add(wake);
    });
  }
}
