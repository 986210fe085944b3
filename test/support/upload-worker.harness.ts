import { Readable } from 'node:stream';
import { loadSlice } from '../../src/config/env.validation';
import type { FlickrApiService } from '../../src/flickr/flickr-api.service';
import type { FlickrAppResolver } from '../../src/flickr/flickr-app.resolver';
import type { FlickrUploadClient } from '../../src/flickr/flickr-upload.client';
import type { FlickrClient } from '../../src/flickr/flickr.client';
import type { UploadJobRepository } from '../../src/uploads/upload-job.repository';
import type { FinalUploadStatus, UploadJobRecord, UploadStatus } from '../../src/uploads/upload-job.schema';
import type { UploadLifecycle } from '../../src/uploads/upload-lifecycle.service';
import type { UploadStagingStore } from '../../src/uploads/upload-staging.store';
import { UploadWorker } from '../../src/uploads/upload-worker.service';
import { UploadsConfig } from '../../src/uploads/uploads.config';
import type { UserConnectionService } from '../../src/users/user-connection.service';
import { uploadJobRecord } from './factories/upload-job.factory';

/** The job repository replaced by an in-memory one with the same single-purpose methods. */
export class MemoryJobs {
  readonly records = new Map<string, UploadJobRecord>();
  async findById(jobId: string) {
    const r = this.records.get(jobId);
    return r ? { ...r } : null;
  }
  async transition(jobId: string, from: readonly UploadStatus[], set: Partial<UploadJobRecord>, inc?: { attempts?: number }) {
    const r = this.records.get(jobId);
    if (!r || !from.includes(r.status)) return null;
    Object.assign(r, set);
    if (inc?.attempts) r.attempts += inc.attempts;
    return { ...r };
  }
  async setTicket(jobId: string, ticketId: string) {
    this.records.get(jobId)!.ticket_id = ticketId;
  }
}

/** Records what the worker asks of the lifecycle (the party that moves jobs to a final state and cleans up). */
export class RecordingLifecycle {
  readonly cleaned: string[] = [];
  constructor(private readonly jobs: MemoryJobs) {}
  async finalize(jobId: string, from: readonly UploadStatus[], to: FinalUploadStatus, set: Partial<UploadJobRecord> = {}) {
    const record = await this.jobs.transition(jobId, from, { ...set, status: to, finished_at: new Date() });
    if (record) this.cleaned.push(jobId);
    return record;
  }
  async cleanUp(record: Pick<UploadJobRecord, 'job_id'>) {
    this.cleaned.push(record.job_id);
  }
}

/** The user's Flickr token every job is sent with. */
export const WORKER_TOKEN = { token: 'user-token', secret: 'user-secret' };

/** A checkTickets answer holding one ticket. */
export const tickets = (ticket: Record<string, unknown>) => ({ uploader: { ticket: [ticket] } });

type UploadResult = { photoId: string } | { ticketId: string };

/**
 * An UploadWorker over in-memory jobs, a recording lifecycle and Flickr adapters replaced: client calls
 * are recorded in `calls` and answered from `answers` (per method, in order, the last one repeated),
 * uploads answer photo `p-1` and replacements ticket `1-2` unless told otherwise. `add` stores a job
 * record built from `defaults` and the overrides.
 */
export function uploadWorkerHarness(env: Record<string, string> = {}, defaults: Partial<UploadJobRecord> = {}) {
  const config = loadSlice(UploadsConfig, { UPLOADS_TICKET_POLL_MS: '1', ...env });
  const jobs = new MemoryJobs();
  const lifecycle = new RecordingLifecycle(jobs);
  const connections = {
    tokensFor: jest.fn(async (): Promise<{ user: unknown; tokens: typeof WORKER_TOKEN }> => ({ user: {}, tokens: WORKER_TOKEN })),
    markReauthorizationRequired: jest.fn(async () => undefined),
  };
  // Budget and breaker are FlickrApiService's business (tested there); here every call goes straight through.
  const upstreamClasses: string[] = [];
  const flickr = {
    upstream: jest.fn(async (cls: string, call: () => Promise<unknown>) => {
      upstreamClasses.push(cls);
      return call();
    }),
    toProblem: (error: unknown) => error,
  };
  const calls: Array<{ method: string; params: Record<string, string> }> = [];
  const answers: Record<string, Array<Record<string, unknown>>> = {};
  const client = {
    call: jest.fn(async (_token: unknown, method: string, params: Record<string, string>) => {
      calls.push({ method, params });
      const queue = answers[method] ?? [];
      return queue.length > 1 ? queue.shift()! : (queue[0] ?? {});
    }),
  };
  const uploader = {
    upload: jest.fn(async (): Promise<UploadResult> => ({ photoId: 'p-1' })),
    replace: jest.fn(async (): Promise<UploadResult> => ({ ticketId: '1-2' })),
  };
  const staging = { openRead: jest.fn(() => Readable.from([Buffer.from('bytes')])) };
  const worker = new UploadWorker(
    config,
    jobs as unknown as UploadJobRepository,
    lifecycle as unknown as UploadLifecycle,
    staging as unknown as UploadStagingStore,
    connections as unknown as UserConnectionService,
    flickr as unknown as FlickrApiService,
    client as unknown as FlickrClient,
    uploader as unknown as FlickrUploadClient,
    // The gateway's app: per-client apps are tested in flickr-apps and the proxy's unit tests.
    { forClient: async () => ({ id: 'default', consumer: { consumerKey: 'ck', consumerSecret: 'cs' } }) } as unknown as FlickrAppResolver,
  );
  const add = (overrides: Partial<UploadJobRecord> = {}) => {
    const record = uploadJobRecord({ ...defaults, ...overrides });
    jobs.records.set(record.job_id, record);
    return record;
  };
  return { worker, jobs, lifecycle, connections, flickr, client, calls, answers, uploader, staging, upstreamClasses, add };
}
