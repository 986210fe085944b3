import { randomUUID } from 'node:crypto';
import { queuedUploadJob, type UploadJobRecord } from '../../../src/uploads/upload-job.schema';

/** An upload job record as the intake writes it (queued, never run), with `overrides` applied. */
export function uploadJobRecord(overrides: Partial<UploadJobRecord> = {}): UploadJobRecord {
  const jobId = overrides.job_id ?? randomUUID();
  const accepted = queuedUploadJob({
    job_id: jobId,
    client_id: 'client-a',
    key_id: 'key-a',
    user_id: 'user-1',
    priority: 'normal',
    file_id: `file-${jobId}`,
    filename: 'photo.jpg',
    media_type: 'image/jpeg',
    bytes: 1024,
    params: { title: 'A photo', tags: 'holiday beach' },
  });
  return { ...accepted, ...overrides };
}
