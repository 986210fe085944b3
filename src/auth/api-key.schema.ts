import { Schema } from 'mongoose';
import type { Envelope } from '../kms/envelope';

export const API_KEY_MODEL = 'ApiKey';
export type ApiKeyRole = 'client' | 'admin';
export type ApiKeyStatus = 'active' | 'revoked';

/** Collection `api_keys`. Secrets only as bcrypt hashes; the signing secret only as a KMS envelope. */
export interface ApiKeyRecord {
  key_id: string;
  client_id: string;
  role: ApiKeyRole;
  name: string;
  status: ApiKeyStatus;
  secret_hash: string;
  /** Signing secrets (current and, during a grace period, previous) sealed with the app-credentials key. */
  signing: Envelope;
  /** The secret replaced by the last rotation, accepted until previous_valid_until. */
  previous_secret_hash?: string | null;
  previous_valid_until?: Date | null;
  expires_at?: Date | null;
  rate_limit_override?: number | null;
  /** Share of the upload worker relative to other clients (weighted round-robin); default 1. */
  queue_weight?: number;
  ip_allowlist: string[];
  created_at: Date;
  updated_at: Date;
  rotated_at?: Date | null;
  revoked_at?: Date | null;
  /**
   * Number of rotations so far (absent on keys created before it existed: 0).
   * A rotation writes only if it is still the version it read (compare-and-set).
   */
  secret_version?: number;
}

/**
 * Collection `api_key_rotations`: one claim per rotation, `_id` =
 * `<key_id>:<new secret_version>:<attempt>`. Inserting it decides which of
 * several concurrent rotations of a key proceeds (a unique `_id` is atomic on
 * MongoDB and FerretDB alike; a conditional update is not on FerretDB 1.x).
 * Kept as the rotation history.
 */
export interface ApiKeyRotationClaim {
  _id: string;
  key_id: string;
  secret_version: number;
  actor: string;
  claimed_at: Date;
}

export const ApiKeySchema = new Schema<ApiKeyRecord>(
  {
    key_id: { type: String, required: true, unique: true },
    client_id: { type: String, required: true, index: true },
    role: { type: String, required: true, enum: ['client', 'admin'] },
    name: { type: String, required: true },
    status: { type: String, required: true, enum: ['active', 'revoked'] },
    secret_hash: { type: String, required: true },
    signing: { type: Schema.Types.Mixed, required: true },
    previous_secret_hash: { type: String, default: null },
    previous_valid_until: { type: Date, default: null },
    expires_at: { type: Date, default: null },
    rate_limit_override: { type: Number, default: null },
    queue_weight: { type: Number, default: 1 },
    ip_allowlist: { type: [String], default: [] },
    created_at: { type: Date, required: true },
    updated_at: { type: Date, required: true },
    rotated_at: { type: Date, default: null },
    revoked_at: { type: Date, default: null },
    secret_version: { type: Number, default: 0 },
  },
  { collection: 'api_keys', versionKey: false, minimize: false },
);
ApiKeySchema.index({ created_at: -1, key_id: -1 });
