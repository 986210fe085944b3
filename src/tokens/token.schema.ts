import { Schema, type Types } from 'mongoose';
import type { Envelope } from '../kms/envelope';

export const TOKEN_MODEL = 'Token';

/**
 * Collection `tokens`, one document per user (`user_id`). Current schema:
 * secrets only inside `enc` (an envelope, see docs/security/encryption.md). Legacy schema:
 * plaintext `oauth_token` / `oauth_token_secret`, read until migrated.
 */
export interface TokenDocument {
  _id: Types.ObjectId;
  user_id: string;
  enc?: Envelope;
  /** Legacy plaintext; removed by the migration or by the next save. */
  oauth_token?: string;
  /** Legacy plaintext; removed by the migration or by the next save. */
  oauth_token_secret?: string;
  created_at?: Date;
  updated_at?: Date;
}

export const TokenSchema = new Schema<TokenDocument>(
  {
    user_id: { type: String, required: true, unique: true },
    enc: { type: Schema.Types.Mixed },
    oauth_token: { type: String },
    oauth_token_secret: { type: String },
    created_at: { type: Date },
    updated_at: { type: Date },
  },
  { collection: 'tokens', versionKey: false, minimize: false, strict: true },
);
// The rewrap job walks records still wrapped by an older key version, in _id order.
TokenSchema.index({ 'enc.k': 1, 'enc.kv': 1, _id: 1 });

/** Collection `kms_jobs`: checkpoints of the resumable rewrap and migration jobs. */
export const JOB_CHECKPOINT_MODEL = 'KmsJobCheckpoint';

export interface JobCheckpoint {
  _id: string;
  status: 'running' | 'done';
  /** Last processed _id; the job resumes after it. */
  last_id: Types.ObjectId | null;
  processed: number;
  /** Rewrap only: the key version every record is being moved to. */
  target_version?: number;
  started_at: Date;
  updated_at: Date;
}

export const JobCheckpointSchema = new Schema<JobCheckpoint>(
  {
    _id: { type: String },
    status: { type: String, required: true },
    last_id: { type: Schema.Types.ObjectId, default: null },
    processed: { type: Number, default: 0 },
    target_version: { type: Number },
    started_at: { type: Date },
    updated_at: { type: Date },
  },
  { collection: 'kms_jobs', versionKey: false },
);
