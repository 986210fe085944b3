import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { InjectMetric, makeCounterProvider } from '@willsoto/nestjs-prometheus';
import type { Counter } from 'prom-client';
import { RequestLogConfig } from './request-log.config';
import { RequestLogRepository } from './request-log.repository';
import type { RequestLogRecord } from './request-log.schema';

export const AUDIT_LOGS_WRITTEN = 'audit_logs_written_total';
export const AUDIT_LOGS_DROPPED = 'audit_logs_dropped_total';
export const AUDIT_LOG_WRITE_FAILURES = 'audit_log_write_failures_total';

export const requestLogMetricProviders = [
  makeCounterProvider({ name: AUDIT_LOGS_WRITTEN, help: 'Audit records written to audit_logs' }),
  makeCounterProvider({
    name: AUDIT_LOGS_DROPPED,
    help: 'Audit records dropped because the in-memory buffer was full (e.g. MongoDB down)',
  }),
  makeCounterProvider({ name: AUDIT_LOG_WRITE_FAILURES, help: 'Failed batch writes to audit_logs (retried)' }),
];

/**
 * Collects audit records in memory and writes them in batches, off the request
 * path: a request never waits for, or fails because of, its audit record. A
 * failed batch goes back to the buffer; the buffer is bounded, and whatever
 * does not fit is counted in audit_logs_dropped_total.
 */
@Injectable()
export class RequestLogBuffer implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(RequestLogBuffer.name);
  private buffer: RequestLogRecord[] = [];
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<void>;

  constructor(
    private readonly repo: RequestLogRepository,
    private readonly config: RequestLogConfig,
    @InjectMetric(AUDIT_LOGS_WRITTEN) private readonly written: Counter<string>,
    @InjectMetric(AUDIT_LOGS_DROPPED) private readonly dropped: Counter<string>,
    @InjectMetric(AUDIT_LOG_WRITE_FAILURES) private readonly failures: Counter<string>,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.flush(), this.config.AUDIT_FLUSH_INTERVAL_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  /** Queues one record; never throws, never waits. */
  add(record: RequestLogRecord): void {
    if (this.buffer.length >= this.config.AUDIT_BUFFER_MAX_ENTRIES) {
      this.dropped.inc();
      return;
    }
    this.buffer.push(record);
    if (this.buffer.length >= this.config.AUDIT_BATCH_SIZE) void this.flush();
  }

  get pending(): number {
    return this.buffer.length;
  }

  /** Writes everything buffered so far, one batch at a time; one flush runs at a time. */
  async flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    this.flushing = this.drain().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  private async drain(): Promise<void> {
    while (this.buffer.length > 0) {
      const batch = this.buffer.splice(0, this.config.AUDIT_BATCH_SIZE);
      try {
        await this.repo.insertMany(batch);
        this.written.inc(batch.length);
      } catch (err) {
        this.failures.inc();
        this.logger.warn(`audit batch of ${batch.length} not written: ${(err as Error).message}`);
        // Back to the front, oldest first; what no longer fits is counted, not silently lost.
        const room = Math.max(this.config.AUDIT_BUFFER_MAX_ENTRIES - this.buffer.length, 0);
        if (batch.length > room) this.dropped.inc(batch.length - room);
        this.buffer = [...batch.slice(0, room), ...this.buffer];
        return;
      }
    }
  }
}
