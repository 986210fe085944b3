import { Schema } from 'mongoose';

export const UPLOAD_JOB_MODEL = 'UploadJob';
export const UPLOAD_IDEMPOTENCY_MODEL = 'UploadIdempotency';

export type UploadPriority = 'high' | 'normal' | 'low';
export const UPLOAD_PRIORITIES: readonly UploadPriority[] = ['high', 'normal', 'low'];

export type UploadStatus = 'queued' | 'active' | 'completed' | 'failed' | 'expired' | 'cancelled';
/** A new photo (`upload`), or new bytes for an existing photo of the user (`replace`, Flickr's replace API). */
export type UploadKind = 'upload' | 'replace';
export const UPLOAD_KINDS: readonly UploadKind[] = ['upload', 'replace'];

export type FinalUploadStatus = Extract<UploadStatus, 'completed' | 'failed' | 'expired' | 'cancelled'>;

/** The upload fields Flickr's upload API takes, as received (strings, validated at intake). */
export interface UploadParams {
  title?: string;
  description?: string;
  tags?: string;
  is_public?: string;
  is_friend?: string;
  is_family?: string;
  safety_level?: string;
  content_type?: string;
  hidden?: string;
}

/**
 * Collection `upload_jobs`: the durable record of every accepted upload and the
 * source of truth for its state (Redis lanes and Bull only carry job ids).
 */
export interface UploadJobRecord {
  job_id: string;
  client_id: string;
  key_id: string;
  user_id: string;
  /** Absent on records written before replacements existed: those are uploads. */
  kind?: UploadKind;
  priority: UploadPriority;
  status: UploadStatus;
  /** GridFS file id of the staged bytes; removed once the job ends. */
  file_id: string;
  filename: string;
  media_type: string;
  bytes: number;
  params: UploadParams;
  attempts: number;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  /** Flickr's async ticket, kept so a re-run asks about it instead of uploading again. */
  ticket_id: string | null;
  /** An upload's new photo once completed; a replacement's photo (the one it replaces) from the start. */
  photo_id: string | null;
  reason: string | null;
  /**
   * When MongoDB's TTL index may delete the finished record (finish + UPLOADS_FINISHED_RETENTION_MS then in
   * force); null while unfinished. The retention sweeper deletes by `finished_at` as well (FerretDB has no TTL).
   */
  purge_at?: Date | null;
}

/** What the intake knows of a new job; everything else starts empty. */
export type NewUploadJob = Pick<
  UploadJobRecord,
  'job_id' | 'client_id' | 'key_id' | 'user_id' | 'priority' | 'file_id' | 'filename' | 'media_type' | 'bytes' | 'params'
> &
  Partial<Pick<UploadJobRecord, 'kind' | 'photo_id'>>;

/** The record of a job just accepted: queued, never run, no outcome yet. */
export function queuedUploadJob(init: NewUploadJob, now = new Date()): UploadJobRecord {
  return {
    ...init,
    kind: init.kind ?? 'upload',
    status: 'queued',
    attempts: 0,
    created_at: now,
    started_at: null,
    finished_at: null,
    ticket_id: null,
    photo_id: init.photo_id ?? null,
    reason: null,
  };
}

export const UploadJobSchema = new Schema<UploadJobRecord & { _id: string }>(
  {
    // The job id is also the primary key: FerretDB 1.x serves only a bare `{_id: …}` filter from an index, so
    // lookups by job id stay index lookups there as on MongoDB (docs/queue.md, throughput).
    _id: { type: String, required: true },
    job_id: { type: String, required: true },
    client_id: { type: String, required: true },
    key_id: { type: String, required: true },
    user_id: { type: String, required: true },
    kind: { type: String, enum: UPLOAD_KINDS, default: 'upload' },
    priority: { type: String, required: true, enum: UPLOAD_PRIORITIES },
    status: { type: String, required: true },
    file_id: { type: String, required: true },
    filename: { type: String, required: true },
    media_type: { type: String, required: true },
    bytes: { type: Number, required: true },
    params: { type: Schema.Types.Mixed, default: {} },
    attempts: { type: Number, default: 0 },
    created_at: { type: Date, required: true },
    started_at: { type: Date, default: null },
    finished_at: { type: Date, default: null },
    ticket_id: { type: String, default: null },
    photo_id: { type: String, default: null },
    reason: { type: String, default: null },
    purge_at: { type: Date, default: null },
  },
  { collection: 'upload_jobs', versionKey: false, minimize: false },
);
// The expiry sweep looks for old queued jobs.
UploadJobSchema.index({ status: 1, created_at: 1 });
// Erasure finds a scoped user's queued jobs.
UploadJobSchema.index({ client_id: 1, user_id: 1, status: 1 });
// GET /v1/uploads pages a client's jobs in (created_at, job_id) order, all of them, one user's or those in one
// status: each page is one range of one of these (docs/queue.md, Listing jobs).
UploadJobSchema.index({ client_id: 1, created_at: 1, job_id: 1 });
UploadJobSchema.index({ client_id: 1, user_id: 1, created_at: 1, job_id: 1 });
UploadJobSchema.index({ client_id: 1, status: 1, created_at: 1, job_id: 1 });
// Retention: MongoDB deletes a finished record at its purge_at (unfinished ones hold null, which a TTL index
// ignores). FerretDB 1.x refuses TTL indexes; the worker's UploadRetentionSweeper deletes them there (and here).
UploadJobSchema.index({ purge_at: 1 }, { expireAfterSeconds: 0 });

/**
 * Collection `upload_idempotency`: (client, Idempotency-Key) → the job it created, for
 * UPLOADS_IDEMPOTENCY_TTL_MS (24 h), with the fingerprint of the request that claimed it.
 */
export interface UploadIdempotencyRecord {
  client_id: string;
  key: string;
  job_id: string;
  /** False while the first request is still streaming its file (or its process died doing so). */
  done: boolean;
  /**
   * SHA-256 of what identifies the request before its body is read (method, target user, Content-Length, and for a
   * replacement its kind and photo id;
   * `requestFingerprint` in uploads.service.ts). Absent on records written before fingerprints existed.
   */
  fingerprint?: string;
  /** When the claim was taken (or taken over); the TTL and the stale period count from here. */
  created_at: Date;
  /** created_at + UPLOADS_IDEMPOTENCY_TTL_MS, for MongoDB's TTL index. */
  expires_at?: Date;
}

export const UploadIdempotencySchema = new Schema<UploadIdempotencyRecord>(
  {
    client_id: { type: String, required: true },
    key: { type: String, required: true },
    job_id: { type: String, required: true },
    done: { type: Boolean, default: false },
    fingerprint: { type: String },
    created_at: { type: Date, required: true },
    expires_at: { type: Date },
  },
  { collection: 'upload_idempotency', versionKey: false },
);
UploadIdempotencySchema.index({ client_id: 1, key: 1 }, { unique: true });
// MongoDB removes a record at its expires_at; on FerretDB (no TTL indexes) the retention sweeper does.
UploadIdempotencySchema.index({ expires_at: 1 }, { expireAfterSeconds: 0 });
