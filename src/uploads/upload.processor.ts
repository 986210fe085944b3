import { InjectQueue } from '@nestjs/bull';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { Job, Queue } from 'bull';
import { JobName, QueueName } from '../queue/queue.constants';
import { UploadDispatcher } from './upload-dispatcher.service';
import { UploadLifecycle } from './upload-lifecycle.service';
import { FinalUploadError, UploadWorker } from './upload-worker.service';
import { UploadsConfig } from './uploads.config';
import { UploadsMetrics } from './uploads.metrics';

/**
 * Binds the upload job to Bull in the worker process, with the configured
 * concurrency (Bull's @Process decorator only takes a constant).
 */
@Injectable()
export class UploadProcessor implements OnModuleInit {
  constructor(
    @InjectQueue(QueueName.Uploads) private readonly queue: Queue,
    private readonly config: UploadsConfig,
    private readonly worker: UploadWorker,
    private readonly dispatcher: UploadDispatcher,
    private readonly metrics: UploadsMetrics,
    private readonly lifecycle: UploadLifecycle,
  ) {}

  onModuleInit(): void {
    // Bull fails a job that stalled more than UPLOADS_MAX_STALLED times without running it: record that.
    this.queue.on('failed', (job: Job<{ jobId: string }>, err: Error) => {
      if (/stalled/i.test(err?.message ?? '')) {
        void this.lifecycle.finalize(job.data.jobId, ['queued', 'active'], 'failed', { reason: 'worker-lost: the job stalled too often' }).catch(() => undefined);
      }
    });
    void this.queue.process(JobName.UploadPhoto, this.config.UPLOADS_WORKER_CONCURRENCY, (job: Job<{ jobId: string }>) => this.handle(job));
  }

  async handle(job: Job<{ jobId: string }>): Promise<string> {
    const started = process.hrtime.bigint();
    const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
    const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    try {
      const outcome = await this.worker.run(job.data.jobId, lastAttempt);
      this.metrics.attempt(outcome, seconds());
      return outcome;
    } catch (error) {
      if (error instanceof FinalUploadError) {
        // Bull must not retry what Flickr refused for good (or what is already marked failed).
        await job.discard();
        this.metrics.attempt('failed', seconds());
      } else {
        this.metrics.attempt('retry', seconds());
      }
      throw error;
    } finally {
      this.dispatcher.kick();
    }
  }
}
