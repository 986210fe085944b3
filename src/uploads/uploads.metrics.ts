import { Injectable } from '@nestjs/common';
import { InjectMetric, makeCounterProvider, makeGaugeProvider, makeHistogramProvider } from '@willsoto/nestjs-prometheus';
import type { Counter, Gauge, Histogram } from 'prom-client';
import type { FinalUploadStatus } from './upload-job.schema';

const DURATION_BUCKETS = [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 21600, 86400];

/** Registered in both processes: the API counts cancellations, the worker everything else. */
export const uploadsMetricProviders = [
  makeGaugeProvider({
    name: 'queue_depth_per_token',
    help: 'Accepted, unfinished uploads per client: the deepest UPLOADS_METRICS_TOP_CLIENTS clients by name, the rest as client="other"',
    labelNames: ['client'],
  }),
  makeHistogramProvider({
    name: 'job_lifecycle_duration_seconds',
    help: 'Upload job time from acceptance to its final state, by final state',
    labelNames: ['state'],
    buckets: DURATION_BUCKETS,
  }),
  makeHistogramProvider({
    name: 'worker_processing_time_seconds',
    help: 'Time a worker spends on one attempt of an upload job, by outcome',
    labelNames: ['outcome'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
  }),
  makeCounterProvider({ name: 'upload_jobs_total', help: 'Upload jobs that reached a final state', labelNames: ['state'] }),
];

@Injectable()
export class UploadsMetrics {
  constructor(
    @InjectMetric('queue_depth_per_token') private readonly depth: Gauge<string>,
    @InjectMetric('job_lifecycle_duration_seconds') private readonly lifecycle: Histogram<string>,
    @InjectMetric('worker_processing_time_seconds') private readonly processing: Histogram<string>,
    @InjectMetric('upload_jobs_total') private readonly finals: Counter<string>,
  ) {}

  finished(state: FinalUploadStatus, acceptedAt: Date, now = Date.now()): void {
    this.finals.inc({ state });
    this.lifecycle.observe({ state }, Math.max(0, (now - acceptedAt.getTime()) / 1000));
  }

  attempt(outcome: 'completed' | 'retry' | 'failed' | 'skipped', seconds: number): void {
    this.processing.observe({ outcome }, seconds);
  }

  /**
   * Replaces the gauge's series: the `top` deepest clients by name, the rest
   * summed as `other`, so at most top+1 series exist at any scrape.
   */
  depths(perClient: Map<string, number>, top: number): void {
    this.depth.reset();
    const sorted = [...perClient.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    let other = 0;
    sorted.forEach(([client, n], i) => {
      if (i < top && client !== 'other') this.depth.set({ client }, n);
      else other += n;
    });
    this.depth.set({ client: 'other' }, other);
  }
}
