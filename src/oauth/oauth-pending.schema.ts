import { Schema } from 'mongoose';
import type { Envelope } from '../kms/envelope';

export const OAUTH_PENDING_MODEL = 'OAuthPending';

export type OAuthMode = 'oob' | 'callback';
export type FlickrPerms = 'read' | 'write' | 'delete';
export type OAuthPendingState = 'pending' | 'approved' | 'exchanging';

/**
 * Collection `oauth_pending`: one document per request token between
 * /v1/oauth/start and the verifier exchange, bound to the client and user that started it. `_id` is the request token (public:
 * it travels in the authorize URL); its secret exists only inside `enc`.
 */
export interface OAuthPendingRecord {
  _id: string;
  client_id: string;
  user_id: string;
  mode: OAuthMode;
  perms: FlickrPerms;
  /**
   * The Flickr app the request token was obtained with (`default`: the gateway's; absent on records from
   * before per-client apps): the exchange must be signed with the same app, and the connection remembers it.
   */
  app_id?: string;
  /** Envelope of `oauth_token_secret`, bound to this record's _id. */
  enc: Envelope;
  /** Where the browser goes after the callback (callback mode only). */
  return_url?: string | null;
  /**
   * Callback mode: SHA-256 of the one-time `state` handed to the initiating
   * client at start; completing the connection requires the state itself.
   */
  state_hash?: string | null;
  /** Callback mode: envelope of the verifier Flickr sent to the callback, until the initiator completes. */
  verifier_enc?: Envelope | null;
  /**
   * `approved` (callback mode) once Flickr sent the verifier and before the
   * initiator completed; `exchanging` while one verifier is being exchanged, so
   * two exchanges can never both reach Flickr.
   */
  state: OAuthPendingState;
  attempts: number;
  created_at: Date;
  /** The TTL index removes the document after this instant; the service also refuses it from then on. */
  expires_at: Date;
}

export const OAuthPendingSchema = new Schema<OAuthPendingRecord>(
  {
    _id: { type: String },
    client_id: { type: String, required: true },
    user_id: { type: String, required: true },
    mode: { type: String, required: true },
    perms: { type: String, required: true },
    app_id: { type: String, default: 'default' },
    enc: { type: Schema.Types.Mixed, required: true },
    return_url: { type: String, default: null },
    state_hash: { type: String, default: null },
    verifier_enc: { type: Schema.Types.Mixed, default: null },
    state: { type: String, required: true },
    attempts: { type: Number, default: 0 },
    created_at: { type: Date, required: true },
    expires_at: { type: Date, required: true },
  },
  { collection: 'oauth_pending', versionKey: false, minimize: false },
);
OAuthPendingSchema.index({ expires_at: 1 }, { expireAfterSeconds: 0 });
