import { Injectable, Logger } from '@nestjs/common';
import { FlickrApiService } from '../flickr/flickr-api.service';
import { FlickrAppResolver } from '../flickr/flickr-app.resolver';
import type { FlickrUserToken } from '../flickr/flickr.client';
import { FlickrClient } from '../flickr/flickr.client';
import { FlickrErrorProblem, FlickrReauthorizationRequiredProblem, FlickrUnavailableProblem, FlickrUpstreamError } from '../flickr/flickr.errors';
import { FlickrUploadClient } from '../flickr/flickr-upload.client';
import { NotFoundProblem, ProblemException } from '../common/problem/problem.exception';
import { FlickrNotConnectedProblem } from '../users/user-connection.errors';
import { flickrAppIdOf, UserConnectionService } from '../users/user-connection.service';
import { UploadJobRepository } from './upload-job.repository';
import type { UploadJobRecord } from './upload-job.schema';
import { UploadLifecycle } from './upload-lifecycle.service';
import { UploadStagingStore } from './upload-staging.store';
import { kindOf } from './upload.target';
import { UploadsConfig } from './uploads.config';
import { RetryableUploadError } from './upload.backoff';

export { RetryableUploadError };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The machine tag that marks a photo as the result of one job (how a re-run finds an earlier upload). */
export function jobMachineTag(jobId: string): string {
  return `fgw:job=${jobId.replace(/-/g, '')}`;
}

/** A failure no retry can fix; the job is already marked failed. */
export class FinalUploadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FinalUploadError';
  }
}

/**
 * One job's way to Flickr: the user's token bound to the client's Flickr app (its consumer signs every
 * request) and `upstream`, which runs an exchange under that app's budget and breaker and the client's share.
 */
interface JobSession {
  token: FlickrUserToken;
  upstream: <T>(cls: 'read' | 'write', call: () => Promise<T>) => Promise<T>;
}

/** What the processor tells Bull: done (any final state), or retry/give up (thrown). */
export type RunOutcome = 'completed' | 'skipped';

/**
 * Runs one attempt of an upload job: reads the token of the job's scoped user
 * through the connection service,
 * finds a photo an earlier run may already have created, otherwise streams
 * the staged file to Flickr (async mode) and polls the ticket. Every upstream
 * exchange goes through FlickrApiService.upstream, so the shared budget and
 * circuit breaker apply to uploads too.
 */
@Injectable()
export class UploadWorker {
  private readonly logger = new Logger(UploadWorker.name);

  constructor(
    private readonly config: UploadsConfig,
    private readonly jobs: UploadJobRepository,
    private readonly lifecycle: UploadLifecycle,
    private readonly staging: UploadStagingStore,
    private readonly connections: UserConnectionService,
    private readonly flickr: FlickrApiService,
    private readonly client: FlickrClient,
    private readonly uploader: FlickrUploadClient,
    private readonly apps: FlickrAppResolver,
  ) {}

  /**
   * One attempt. Returns when the job reached a final state (or was already
   * final); throws RetryableUploadError for Bull to retry, FinalUploadError
   * when it failed for good.
   */
  async run(jobId: string, lastAttempt: boolean): Promise<RunOutcome> {
    const found = await this.jobs.findById(jobId);
    if (!found) return 'skipped';
    if (!['queued', 'active'].includes(found.status)) {
      // Cancelled or finished while waiting; make sure nothing is left behind.
      await this.lifecycle.cleanUp(found);
      return 'skipped';
    }
    // Only a job that never started expires: a re-run of a started one (retry, or after its worker died) may follow
    // an upload that reached Flickr, and completes or fails by its attempts instead.
    if (found.status === 'queued' && Date.now() - found.created_at.getTime() >= this.config.UPLOADS_JOB_TTL_MS) {
      await this.lifecycle.finalize(jobId, ['queued'], 'expired', { reason: 'not started within UPLOADS_JOB_TTL_MS' });
      return 'skipped';
    }
    const job = await this.jobs.transition(jobId, ['queued', 'active'], { status: 'active', started_at: found.started_at ?? new Date() }, { attempts: 1 });
    if (!job) return 'skipped';

    try {
      const photoId = await this.upload(job);
      await this.lifecycle.finalize(jobId, ['active'], 'completed', { photo_id: photoId });
      return 'completed';
    } catch (error) {
      throw await this.failure(job, error, lastAttempt);
    }
  }

  private async upload(job: UploadJobRecord): Promise<string> {
    // Through the ownership-aware connection service, by the job's scoped user: a job of an erased user can
    // never run with the token of a later user of the same name (of this client or another).
    const { user, tokens: stored } = await this.connections.tokensFor({ clientId: job.client_id, userId: job.user_id }).catch((err: Error) => {
      // A token that cannot be decrypted will not decrypt on a retry either.
      if (err.name === 'DecryptionFailedError') throw new FinalUploadError('flickr-token-unreadable');
      if (err instanceof NotFoundProblem) throw new FinalUploadError('user-erased');
      if (err instanceof FlickrNotConnectedProblem) throw new FinalUploadError('flickr-not-connected');
      throw err;
    });
    // Signed with the client's Flickr app (its own, else the gateway's), which must be the one the token was issued
    // to: after a switch Flickr would refuse it (98), so the job fails like a refused token, without a call.
    const app = await this.apps.forClient(job.client_id);
    if (flickrAppIdOf(user) !== app.id) throw new FlickrReauthorizationRequiredProblem();
    const caller = { clientId: job.client_id };
    const budgetApp = { id: app.id, budgetPerWindow: app.budgetPerWindow };
    const session: JobSession = {
      token: FlickrAppResolver.bind(stored, app),
      upstream: (cls, call) => this.flickr.upstream(cls, call, caller, budgetApp),
    };

    // A re-run (retry, or another worker after this one died) may follow an upload that reached Flickr.
    if (job.ticket_id) {
      const fromTicket = await this.awaitTicket(session, job.ticket_id, true);
      if (fromTicket) return fromTicket;
    }
    // A replacement is sent again: the same bytes a second time leave the photo as one run would.
    if (kindOf(job) === 'replace') return this.replace(session, job);
    if (job.attempts > 1) {
      const earlier = await this.findEarlierUpload(session, job.job_id);
      if (earlier) {
        this.logger.log(`upload job ${job.job_id}: found the photo of an earlier run (${earlier}); not uploading again`);
        return earlier;
      }
    }

    const tags = [job.params.tags ?? '', jobMachineTag(job.job_id)].filter(Boolean).join(' ');
    const fields: Record<string, string> = { ...stringFields(job.params as Record<string, unknown>), tags, async: '1' };
    const answer = await session.upstream('write', () =>
      this.uploader.upload(
        session.token,
        fields,
        { stream: this.staging.openRead(job.file_id), bytes: job.bytes, filename: job.filename, mediaType: job.media_type },
        this.config.UPLOADS_UPLOAD_TIMEOUT_MS,
      ),
    );
    if ('photoId' in answer) return answer.photoId;
    await this.jobs.setTicket(job.job_id, answer.ticketId);
    const photoId = await this.awaitTicket(session, answer.ticketId, false);
    if (!photoId) throw new FinalUploadError('Flickr did not accept the file (ticket invalid)');
    return photoId;
  }

  /**
   * Sends the staged bytes as the new version of the job's photo (Flickr's replace API, async). Flickr refuses a
   * photo the user does not own (code 1) or a token without write permission (99): the job fails with that reason.
   */
  private async replace(session: JobSession, job: UploadJobRecord): Promise<string> {
    const photoId = job.photo_id!;
    const answer = await session.upstream('write', () =>
      this.uploader.replace(
        session.token,
        photoId,
        { async: '1' },
        { stream: this.staging.openRead(job.file_id), bytes: job.bytes, filename: job.filename, mediaType: job.media_type },
        this.config.UPLOADS_UPLOAD_TIMEOUT_MS,
      ),
    );
    if ('photoId' in answer) return answer.photoId;
    await this.jobs.setTicket(job.job_id, answer.ticketId);
    if (!(await this.awaitTicket(session, answer.ticketId, false))) throw new FinalUploadError('Flickr did not accept the file (ticket invalid)');
    return photoId;
  }

  /** Polls checkTickets until the ticket completes. Null when the ticket is unknown/failed and `tolerant`. */
  private async awaitTicket({ token, upstream }: JobSession, ticketId: string, tolerant: boolean): Promise<string | null> {
    const deadline = Date.now() + this.config.UPLOADS_TICKET_TIMEOUT_MS;
    for (;;) {
      const answer = await upstream('read', () => this.client.call(token, 'flickr.photos.upload.checkTickets', { tickets: ticketId }));
      const ticket = ((answer.uploader as { ticket?: Array<Record<string, unknown>> } | undefined)?.ticket ?? [])[0] ?? {};
      if (Number(ticket.complete) === 1 && ticket.photoid) return String(ticket.photoid);
      if (Number(ticket.complete) === 2 || ticket.invalid) {
        if (tolerant) return null;
        throw new FinalUploadError('Flickr could not process the file (ticket failed)');
      }
      if (Date.now() > deadline) throw new RetryableUploadError('Flickr did not finish processing the upload in time');
      await sleep(this.config.UPLOADS_TICKET_POLL_MS);
    }
  }

  private async findEarlierUpload({ token, upstream }: JobSession, jobId: string): Promise<string | null> {
    const answer = await upstream('read', () =>
      this.client.call(token, 'flickr.photos.search', { user_id: 'me', machine_tags: jobMachineTag(jobId), per_page: '1' }),
    );
    const photo = ((answer.photos as { photo?: Array<{ id: string }> } | undefined)?.photo ?? [])[0];
    return photo?.id ?? null;
  }

  /** Decides retry or failure; marks the job failed (and the connection, on code 98) when final. */
  private async failure(job: UploadJobRecord, error: unknown, lastAttempt: boolean): Promise<Error> {
    const fromFlickr = error instanceof ProblemException || error instanceof FlickrUpstreamError;
    // Anything else (MongoDB, Redis, GridFS hiccups) is our own infrastructure: worth a retry.
    const problem =
      error instanceof FinalUploadError || error instanceof RetryableUploadError
        ? error
        : fromFlickr
          ? this.flickr.toProblem(error)
          : new RetryableUploadError(describe(error));
    if (problem instanceof FlickrReauthorizationRequiredProblem) {
      await this.connections.markReauthorizationRequired({ clientId: job.client_id, userId: job.user_id });
      await this.lifecycle.finalize(job.job_id, ['active'], 'failed', { reason: 'flickr-reauthorization-required' });
      return new FinalUploadError('flickr-reauthorization-required');
    }
    const retry = toRetryable(problem);
    if (retry && !lastAttempt) {
      this.logger.warn(`upload job ${job.job_id} attempt ${job.attempts} failed, will retry: ${retry.message} (${describe(error)})`);
      return retry;
    }
    const reason = problem instanceof ProblemException ? `${problem.slug}: ${problem.detail}` : (problem as Error).message;
    await this.lifecycle.finalize(job.job_id, ['active'], 'failed', { reason });
    return new FinalUploadError(reason);
  }
}

/** Transient: our breaker/budget, Flickr 5xx/429/105, timeouts and network errors. Never a Flickr refusal. */
function toRetryable(problem: Error): RetryableUploadError | null {
  if (problem instanceof RetryableUploadError) return problem;
  if (problem instanceof FlickrUnavailableProblem) {
    const seconds = Number(problem.extensions.retryAfterSeconds ?? 1);
    return new RetryableUploadError(problem.detail, seconds * 1000);
  }
  if (problem instanceof FlickrErrorProblem) {
    const code = problem.extensions.flickrCode as number | undefined;
    const status = problem.getStatus();
    if ((code === undefined || code === 105) && [502, 503, 504].includes(status)) {
      const after = Number(problem.headers['retry-after'] ?? 0);
      return new RetryableUploadError(problem.detail, after * 1000);
    }
  }
  return null;
}

/** The upstream failure in one line for the log: its kind and message, never a token. */
function describe(error: unknown): string {
  const e = error as { name?: string; message?: string; kind?: string };
  return `${e?.name ?? 'Error'}${e?.kind ? `/${e.kind}` : ''}: ${e?.message ?? String(error)}`;
}

function stringFields(params: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(params)) if (typeof v === 'string' && k !== 'tags') out[k] = v;
  return out;
}
