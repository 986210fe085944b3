import { Injectable } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { ThrottlerStorageRecord } from '@nestjs/throttler/dist/throttler-storage-record.interface';
import { SlidingWindowStore } from './sliding-window.store';

/**
 * @nestjs/throttler's stock storage counts fixed windows in process memory; this
 * one is the shared Redis sliding window, so every replica enforces one limit.
 */
@Injectable()
export class SlidingWindowThrottlerStorage implements ThrottlerStorage {
  constructor(private readonly store: SlidingWindowStore) {}

  async increment(key: string, ttl: number, limit: number): Promise<ThrottlerStorageRecord> {
    const r = await this.store.hit(key, limit, ttl);
    return {
      totalHits: r.allowed ? r.count : limit + 1,
      timeToExpire: Math.ceil(r.resetMs / 1000),
      isBlocked: !r.allowed,
      // Whole seconds, rounded up: a client that waits exactly this long is accepted.
      timeToBlockExpire: Math.ceil(r.retryAfterMs / 1000),
    };
  }
}
