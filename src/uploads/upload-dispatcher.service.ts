import { randomBytes } from 'node:crypto';
import { InjectQueue } from '@nestjs/bull';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Queue } from 'bull';
import { Redis } from 'ioredis';
import { JobName, QueueName } from '../queue/queue.constants';
import { UploadLanesStore } from './upload-lanes.store';
import { UploadLifecycle } from './upload-lifecycle.service';
import { UploadReconciler } from './upload-reconciler.service';
import { UploadsConfig } from './uploads.config';
import { UploadsMetrics } from './uploads.metrics';

const LOCK_KEY = 'uploads:dispatch-lock';
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;
/** A popped job not confirmed in Bull after this long is sent again (its dispatcher died in between). */
const LOST_DISPATCH_MS = 10_000;

/** The Bull options of an upload job; the job id is ours, so sending a job twice adds it once. */
export function uploadJobOptions(jobId: string, attempts: number) {
  return {
    jobId,
    attempts,
    backoff: { type: 'upload' },
    // Kept for the dashboard; MongoDB holds the lasting record.
    removeOnComplete: 1000,
    removeOnFail: 1000,
  };
}

/**
 * Feeds the shallow Bull queue from the per-client lanes in weighted
 * round-robin order (docs/queue.md). Runs in every worker replica; a short
 * Redis lock lets one replica at a time fill the queue, so Bull never holds
 * more than UPLOADS_DISPATCH_DEPTH waiting jobs, and the pop itself is atomic,
 * so no job is dispatched twice even without the lock. Also re-sends lost
 * dispatches, expires old queued jobs, reconciles the pending sets with
 * MongoDB (UploadReconciler) and updates queue_depth_per_token.
 */
@Injectable()
export class UploadDispatcher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(UploadDispatcher.name);
  private readonly owner = randomBytes(8).toString('hex');
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  /** Whether the last tick failed, so an outage is logged once rather than on every tick. */
  private failing = false;
  private ticks = 0;
  private stopped = false;

  constructor(
    private readonly config: UploadsConfig,
    @InjectQueue(QueueName.Uploads) private readonly queue: Queue,
    @Inject(Redis) private readonly redis: Redis,
    private readonly lanes: UploadLanesStore,
    private readonly lifecycle: UploadLifecycle,
    private readonly metrics: UploadsMetrics,
    private readonly reconciler: UploadReconciler,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.kick(), this.config.UPLOADS_DISPATCH_INTERVAL_MS);
    this.timer.unref();
    this.kick();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  /** Runs a tick now (or right after the one in progress): called on the timer and when a local job ends. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.tick()
      .then(() => {
        if (this.failing) this.logger.log('dispatching again');
        this.failing = false;
      })
      .catch((err: unknown) => {
        // Once per outage, not on every tick: with Redis down each tick fails at once.
        if (!this.failing) this.logger.warn(`dispatch tick failed: ${(err as Error).message}; retrying every tick`);
        this.failing = true;
      })
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** One round: fill Bull up to the depth, recover lost dispatches, and now and then sweep and measure. */
  async tick(): Promise<void> {
    const locked = await this.redis.set(LOCK_KEY, this.owner, 'PX', 30_000, 'NX');
    if (!locked) return;
    try {
      await this.fill();
      await this.recoverLost();
      // Sweep and gauge about once a second, whatever the tick interval.
      if (this.ticks++ % Math.max(1, Math.round(1000 / this.config.UPLOADS_DISPATCH_INTERVAL_MS)) === 0) {
        await this.expireOld();
        this.metrics.depths(await this.lanes.depths(), this.config.UPLOADS_METRICS_TOP_CLIENTS);
      }
      // Releases cap slots of jobs that ended while their finisher died before the Redis clean-up.
      await this.reconciler.step();
    } finally {
      await this.redis.eval(RELEASE, 1, LOCK_KEY, this.owner);
    }
  }

  private async fill(): Promise<void> {
    let waiting = await this.queue.getWaitingCount();
    while (!this.stopped && waiting < this.config.UPLOADS_DISPATCH_DEPTH) {
      const next = await this.lanes.pop();
      if (!next) return;
      await this.send(next.jobId);
      waiting++;
    }
  }

  /**
   * Hands a popped job to Bull. It does not read the job's record: the worker reads it before running and
   * skips a job that ended, expired or has no record (cleaning up after it), so one MongoDB read per job
   * is enough; such a job costs one Bull round trip instead.
   */
  private async send(jobId: string): Promise<void> {
    await this.queue.add(JobName.UploadPhoto, { jobId }, uploadJobOptions(jobId, this.config.UPLOADS_MAX_ATTEMPTS));
    await this.lanes.dispatched(jobId);
  }

  private async recoverLost(): Promise<void> {
    for (const jobId of await this.lanes.stuckDispatches(LOST_DISPATCH_MS)) {
      this.logger.warn(`upload job ${jobId} was popped but never reached Bull; sending it again`);
      await this.send(jobId);
    }
  }

  /**
   * Queued jobs older than the TTL end as expired even if their lane is never reached. Only queued ones: a started
   * job is ended by its worker or Bull's stalled handling (UploadLifecycle.expireQueued).
   */
  private async expireOld(): Promise<void> {
    await this.lifecycle.expireQueued();
  }
}
