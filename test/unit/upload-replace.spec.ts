import { createHash } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { FlickrErrorProblem } from '../../src/flickr/flickr.errors';
import { queuedUploadJob, type UploadJobRecord } from '../../src/uploads/upload-job.schema';
import { FinalUploadError } from '../../src/uploads/upload-worker.service';
import { fieldErrors, fingerprintParts, formFieldsOf, jobTargetFields, kindOf, NEW_PHOTO, type UploadTarget } from '../../src/uploads/upload.target';
import { ReplaceParams } from '../../src/uploads/uploads.dto';
import { requestFingerprint, toJobView } from '../../src/uploads/uploads.service';
import { uploadJobRecord } from '../support/factories/upload-job.factory';
import { tickets, uploadWorkerHarness } from '../support/upload-worker.harness';

const replaceOf = (photoId: string): UploadTarget => ({ kind: 'replace', photoId });

describe('replace: the rules that differ from an upload (src/uploads/upload.target.ts)', () => {
  it('a replacement takes only the priority besides the file; an upload takes Flickr\'s upload fields', () => {
    expect(formFieldsOf(replaceOf('1'))).toEqual(['priority']);
    expect(formFieldsOf(NEW_PHOTO)).toEqual(expect.arrayContaining(['title', 'tags', 'priority']));
    expect(fieldErrors(replaceOf('1'), { priority: 'high' })).toEqual([]);
    expect(fieldErrors(replaceOf('1'), { priority: 'urgent' })).toHaveLength(1);
    expect(fieldErrors(replaceOf('1'), { title: 'x' })).toEqual([expect.stringContaining('title')]);
    expect(fieldErrors(NEW_PHOTO, { title: 'x', priority: 'low' })).toEqual([]);
  });

  it('photo_id of the route must be a Flickr photo id (digits)', () => {
    const errors = (photo_id: string) => validateSync(plainToInstance(ReplaceParams, { user_id: 'u-1', photo_id })).flatMap((e) => Object.values(e.constraints ?? {}));
    expect(errors('52981234567')).toEqual([]);
    for (const bad of ['', 'abc', '12a', '-1', '1.5', '1'.repeat(21), '12345678@N00']) {
      expect(errors(bad)).toEqual(['photo_id must be a Flickr photo id (1-20 digits)']);
    }
  });

  it('the fingerprint of an upload is what it was before replacements existed; a replacement adds its kind and photo', () => {
    const req = (length: string) => ({ method: 'POST', headers: { 'content-length': length } });
    const legacy = createHash('sha256').update(JSON.stringify(['POST', 'u', '1234'])).digest('hex');
    expect(requestFingerprint(req('1234'), 'u')).toBe(legacy);
    expect(requestFingerprint(req('1234'), 'u', NEW_PHOTO)).toBe(legacy);
    const replace = requestFingerprint(req('1234'), 'u', replaceOf('111'));
    expect(replace).not.toBe(legacy);
    expect(requestFingerprint(req('1234'), 'u', replaceOf('111'))).toBe(replace);
    expect(requestFingerprint(req('1234'), 'u', replaceOf('112'))).not.toBe(replace);
    expect(requestFingerprint(req('1235'), 'u', replaceOf('111'))).not.toBe(replace);
    expect(fingerprintParts(NEW_PHOTO)).toEqual([]);
  });

  it('the job record says what it is for; records written before replacements existed are uploads', () => {
    const base = { job_id: 'j', client_id: 'c', key_id: 'k', user_id: 'u', priority: 'normal' as const, file_id: 'f', filename: 'a.jpg', media_type: 'image/jpeg', bytes: 1, params: {} };
    expect(queuedUploadJob({ ...base, ...jobTargetFields(replaceOf('42')) })).toMatchObject({ kind: 'replace', photo_id: '42' });
    expect(queuedUploadJob(base)).toMatchObject({ kind: 'upload', photo_id: null });
    const { kind: _dropped, ...legacy } = uploadJobRecord();
    expect(kindOf(legacy as UploadJobRecord)).toBe('upload');
    expect(toJobView(legacy as UploadJobRecord)).toMatchObject({ kind: 'upload' });
    expect(toJobView(uploadJobRecord({ kind: 'replace', photo_id: '42' }))).toMatchObject({ kind: 'replace', photo_id: '42' });
  });
});

/** A worker whose jobs are replacements of photo 777; Flickr's ticket for them completes at once. */
function setup() {
  const t = uploadWorkerHarness({}, { kind: 'replace', photo_id: '777', params: {} });
  t.answers['flickr.photos.upload.checkTickets'] = [tickets({ id: '1-2', complete: 1, photoid: '777' })];
  return t;
}

describe('UploadWorker running a replacement (adapters replaced)', () => {
  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(['log', 'error', 'warn']));

  it('replaces the photo (async, counted as a write), polls the ticket and completes with the same photo id', async () => {
    const t = setup();
    const job = t.add();
    await expect(t.worker.run(job.job_id, false)).resolves.toBe('completed');
    expect(t.uploader.upload).not.toHaveBeenCalled();
    expect(t.uploader.replace).toHaveBeenCalledTimes(1);
    const [token, photoId, fields, source] = t.uploader.replace.mock.calls[0] as unknown as [unknown, string, Record<string, string>, { bytes: number }];
    expect(token).toEqual({ oauthToken: 'user-token', oauthTokenSecret: 'user-secret', consumer: { consumerKey: 'ck', consumerSecret: 'cs' } });
    expect(photoId).toBe('777');
    expect(fields).toEqual({ async: '1' });
    expect(source.bytes).toBe(job.bytes);
    expect(t.upstreamClasses).toEqual(['write', 'read']);
    expect(t.calls).toEqual([{ method: 'flickr.photos.upload.checkTickets', params: { tickets: '1-2' } }]);
    expect(t.jobs.records.get(job.job_id)).toMatchObject({ status: 'completed', photo_id: '777', ticket_id: '1-2', reason: null });
  });

  it('a re-run without a ticket sends the bytes again: no search by machine tag (a replacement creates no photo to find)', async () => {
    const t = setup();
    const job = t.add({ status: 'active', attempts: 1 });
    t.uploader.replace.mockResolvedValueOnce({ photoId: '777' });
    await expect(t.worker.run(job.job_id, false)).resolves.toBe('completed');
    expect(t.calls.map((c) => c.method)).not.toContain('flickr.photos.search');
    expect(t.uploader.replace).toHaveBeenCalledTimes(1);
    expect(t.jobs.records.get(job.job_id)).toMatchObject({ status: 'completed', attempts: 2, photo_id: '777' });
  });

  it('a photo Flickr will not let the user replace (code 1) fails the job at once with Flickr\'s reason, attempts left or not', async () => {
    const t = setup();
    const job = t.add();
    t.uploader.replace.mockRejectedValueOnce(new FlickrErrorProblem(404, 1, 200, 'Flickr error 1: Photo not found'));
    await expect(t.worker.run(job.job_id, false)).rejects.toBeInstanceOf(FinalUploadError);
    expect(t.jobs.records.get(job.job_id)).toMatchObject({ status: 'failed', photo_id: '777', reason: 'flickr-error: Flickr error 1: Photo not found' });
  });

  it('a job record without a kind (written before replacements existed) runs as an upload', async () => {
    const t = setup();
    const { kind: _dropped, ...legacy } = uploadJobRecord();
    t.jobs.records.set(legacy.job_id, legacy as UploadJobRecord);
    await expect(t.worker.run(legacy.job_id, false)).resolves.toBe('completed');
    expect(t.uploader.replace).not.toHaveBeenCalled();
    expect(t.uploader.upload).toHaveBeenCalledTimes(1);
    expect(t.jobs.records.get(legacy.job_id)).toMatchObject({ status: 'completed', photo_id: 'p-1' });
  });
});
