import { Logger } from '@nestjs/common';
import { NotFoundProblem } from '../../src/common/problem/problem.exception';
import { FlickrNotConnectedProblem } from '../../src/users/user-connection.errors';
import { FlickrErrorProblem, FlickrReauthorizationRequiredProblem, FlickrUnavailableProblem } from '../../src/flickr/flickr.errors';
import type { UploadStatus } from '../../src/uploads/upload-job.schema';
import { FinalUploadError, RetryableUploadError, jobMachineTag } from '../../src/uploads/upload-worker.service';
import { tickets, uploadWorkerHarness as setup, WORKER_TOKEN as TOKEN } from '../support/upload-worker.harness';

describe('UploadWorker (adapters replaced)', () => {
  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(['log', 'error', 'warn']));

  it('skips a job with no record, touching nothing', async () => {
    const t = setup();
    await expect(t.worker.run('no-such-job', false)).resolves.toBe('skipped');
    expect(t.uploader.upload).not.toHaveBeenCalled();
    expect(t.lifecycle.cleaned).toEqual([]);
  });

  it.each<UploadStatus>(['cancelled', 'completed', 'failed', 'expired'])(
    'skips a job that is already %s, cleans up after it, and never uploads',
    async (status) => {
      const t = setup();
      const job = t.add({ status });
      await expect(t.worker.run(job.job_id, false)).resolves.toBe('skipped');
      expect(t.uploader.upload).not.toHaveBeenCalled();
      expect(t.lifecycle.cleaned).toEqual([job.job_id]);
      expect(t.jobs.records.get(job.job_id)!.status).toBe(status);
    },
  );

  it('expires a job older than UPLOADS_JOB_TTL_MS instead of uploading it', async () => {
    const t = setup({ UPLOADS_JOB_TTL_MS: '60000' });
    const job = t.add({ created_at: new Date(Date.now() - 61_000) });
    await expect(t.worker.run(job.job_id, false)).resolves.toBe('skipped');
    expect(t.uploader.upload).not.toHaveBeenCalled();
    expect(t.jobs.records.get(job.job_id)).toMatchObject({ status: 'expired', reason: expect.stringContaining('UPLOADS_JOB_TTL_MS') });
  });

  it('does not expire a started job past UPLOADS_JOB_TTL_MS on a re-run: it may follow an upload that reached Flickr', async () => {
    const t = setup({ UPLOADS_JOB_TTL_MS: '60000' });
    const job = t.add({ status: 'active', attempts: 1, started_at: new Date(Date.now() - 30_000), created_at: new Date(Date.now() - 61_000) });
    t.answers['flickr.photos.search'] = [{ photos: { photo: [{ id: 'p-earlier' }] } }];
    await expect(t.worker.run(job.job_id, false)).resolves.toBe('completed');
    expect(t.uploader.upload).not.toHaveBeenCalled();
    expect(t.jobs.records.get(job.job_id)).toMatchObject({ status: 'completed', photo_id: 'p-earlier', attempts: 2 });
  });

  it('uploads with the machine tag of the job, polls the ticket and completes with the photo id', async () => {
    const t = setup();
    const job = t.add();
    t.uploader.upload.mockResolvedValueOnce({ ticketId: 'tk-1' });
    t.answers['flickr.photos.upload.checkTickets'] = [tickets({ id: 'tk-1', complete: 0 }), tickets({ id: 'tk-1', complete: 1, photoid: 'p-42' })];
    await expect(t.worker.run(job.job_id, false)).resolves.toBe('completed');
    const [token, fields, file] = t.uploader.upload.mock.calls[0] as unknown as [unknown, Record<string, string>, { bytes: number; filename: string }];
    // Bound to the client's Flickr app (here the gateway's): the uploader signs with the token's consumer.
    expect(token).toEqual({ oauthToken: TOKEN.token, oauthTokenSecret: TOKEN.secret, consumer: { consumerKey: 'ck', consumerSecret: 'cs' } });
    expect(fields).toMatchObject({ title: 'A photo', tags: `holiday beach ${jobMachineTag(job.job_id)}`, async: '1' });
    expect(file).toMatchObject({ bytes: job.bytes, filename: job.filename });
    expect(t.calls.filter((c) => c.method === 'flickr.photos.upload.checkTickets')).toHaveLength(2);
    expect(t.jobs.records.get(job.job_id)).toMatchObject({ status: 'completed', photo_id: 'p-42', ticket_id: 'tk-1', attempts: 1 });
    expect(t.upstreamClasses).toEqual(['write', 'read', 'read']);
  });

  it('on a re-run, completes with the photo an earlier run left on Flickr (found by machine tag) without uploading again', async () => {
    const t = setup();
    const job = t.add({ status: 'active', attempts: 1, started_at: new Date() });
    t.answers['flickr.photos.search'] = [{ photos: { photo: [{ id: 'p-earlier' }] } }];
    await expect(t.worker.run(job.job_id, false)).resolves.toBe('completed');
    expect(t.uploader.upload).not.toHaveBeenCalled();
    expect(t.calls[0]).toEqual({ method: 'flickr.photos.search', params: expect.objectContaining({ machine_tags: jobMachineTag(job.job_id) }) });
    expect(t.jobs.records.get(job.job_id)).toMatchObject({ status: 'completed', photo_id: 'p-earlier', attempts: 2 });
  });

  it('on a re-run with a stored ticket, asks about the ticket before anything else', async () => {
    const t = setup();
    const job = t.add({ status: 'active', attempts: 1, ticket_id: 'tk-old' });
    t.answers['flickr.photos.upload.checkTickets'] = [tickets({ id: 'tk-old', complete: 1, photoid: 'p-from-ticket' })];
    await expect(t.worker.run(job.job_id, false)).resolves.toBe('completed');
    expect(t.uploader.upload).not.toHaveBeenCalled();
    expect(t.calls.map((c) => c.method)).toEqual(['flickr.photos.upload.checkTickets']);
    expect(t.jobs.records.get(job.job_id)!.photo_id).toBe('p-from-ticket');
  });

  it('never retries a refused token (Flickr code 98): marks the connection and fails the job, even with attempts left', async () => {
    const t = setup();
    const job = t.add();
    t.uploader.upload.mockRejectedValueOnce(new FlickrReauthorizationRequiredProblem());
    await expect(t.worker.run(job.job_id, false)).rejects.toBeInstanceOf(FinalUploadError);
    expect(t.connections.markReauthorizationRequired).toHaveBeenCalledWith({ clientId: job.client_id, userId: job.user_id });
    expect(t.jobs.records.get(job.job_id)).toMatchObject({ status: 'failed', reason: 'flickr-reauthorization-required' });
  });

  it('retries a Flickr 5xx while attempts remain, keeping the job active, then fails it on the last attempt', async () => {
    const t = setup();
    const job = t.add();
    const outage = () => new FlickrErrorProblem(503, undefined, 503, 'Flickr answered 503', { 'retry-after': '7' });
    t.uploader.upload.mockRejectedValueOnce(outage());
    const first = await t.worker.run(job.job_id, false).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(RetryableUploadError);
    expect((first as RetryableUploadError).retryAfterMs).toBe(7000);
    expect(t.jobs.records.get(job.job_id)!.status).toBe('active');

    t.uploader.upload.mockRejectedValueOnce(outage());
    await expect(t.worker.run(job.job_id, true)).rejects.toBeInstanceOf(FinalUploadError);
    expect(t.jobs.records.get(job.job_id)).toMatchObject({ status: 'failed', attempts: 2, reason: expect.stringContaining('flickr-error') });
    expect(t.connections.markReauthorizationRequired).not.toHaveBeenCalled();
  });

  it('waits at least as long as the open circuit breaker says before retrying', async () => {
    const t = setup();
    const job = t.add();
    t.uploader.upload.mockRejectedValueOnce(new FlickrUnavailableProblem('circuit-open', 300));
    const error = await t.worker.run(job.job_id, false).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryableUploadError);
    expect((error as RetryableUploadError).retryAfterMs).toBe(300_000);
  });

  it('fails at once on a Flickr refusal that no retry can change (e.g. code 5, filetype invalid)', async () => {
    const t = setup();
    const job = t.add();
    t.uploader.upload.mockRejectedValueOnce(new FlickrErrorProblem(422, 5, 200, 'Flickr error 5: Filetype was not recognised'));
    await expect(t.worker.run(job.job_id, false)).rejects.toBeInstanceOf(FinalUploadError);
    expect(t.jobs.records.get(job.job_id)).toMatchObject({ status: 'failed', reason: expect.stringContaining('Filetype') });
  });

  it('fails for good when the stored token cannot be decrypted, and when the user is not connected', async () => {
    const t = setup();
    const unreadable = t.add();
    const decryption = Object.assign(new Error('decryption failed: tag'), { name: 'DecryptionFailedError' });
    t.connections.tokensFor.mockRejectedValueOnce(decryption);
    await expect(t.worker.run(unreadable.job_id, false)).rejects.toBeInstanceOf(FinalUploadError);
    expect(t.jobs.records.get(unreadable.job_id)).toMatchObject({ status: 'failed', reason: 'flickr-token-unreadable' });

    const disconnected = t.add();
    t.connections.tokensFor.mockRejectedValueOnce(new FlickrNotConnectedProblem());
    await expect(t.worker.run(disconnected.job_id, false)).rejects.toBeInstanceOf(FinalUploadError);
    expect(t.jobs.records.get(disconnected.job_id)).toMatchObject({ status: 'failed', reason: 'flickr-not-connected' });

    // The user was erased (or never belonged to the job's client): the job never runs under any other identity.
    const erased = t.add();
    t.connections.tokensFor.mockRejectedValueOnce(new NotFoundProblem());
    await expect(t.worker.run(erased.job_id, false)).rejects.toBeInstanceOf(FinalUploadError);
    expect(t.jobs.records.get(erased.job_id)).toMatchObject({ status: 'failed', reason: 'user-erased' });
    expect(t.connections.tokensFor).toHaveBeenLastCalledWith({ clientId: erased.client_id, userId: erased.user_id });
    expect(t.uploader.upload).not.toHaveBeenCalled();
  });

  it("fails as reauthorization-required, without calling Flickr, when the token was issued to another app than the client's", async () => {
    const t = setup();
    const job = t.add();
    // The client switched to its own app (the resolver answers 'default' here) after the user connected with it.
    t.connections.tokensFor.mockResolvedValueOnce({ user: { flickr: { app_id: 'app_former' } }, tokens: TOKEN });
    await expect(t.worker.run(job.job_id, false)).rejects.toBeInstanceOf(FinalUploadError);
    expect(t.jobs.records.get(job.job_id)).toMatchObject({ status: 'failed', reason: 'flickr-reauthorization-required' });
    expect(t.connections.markReauthorizationRequired).toHaveBeenCalledWith({ clientId: job.client_id, userId: job.user_id });
    expect(t.uploader.upload).not.toHaveBeenCalled();
    expect(t.calls).toEqual([]);
  });

  it('retries a failure of our own infrastructure (e.g. a MongoDB hiccup reading the token)', async () => {
    const t = setup();
    const job = t.add();
    t.connections.tokensFor.mockRejectedValueOnce(new Error('connection reset'));
    await expect(t.worker.run(job.job_id, false)).rejects.toBeInstanceOf(RetryableUploadError);
    expect(t.jobs.records.get(job.job_id)!.status).toBe('active');
  });
});
