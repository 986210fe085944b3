import { Schema } from 'mongoose';
import type { FlickrPerms, OAuthMode } from '../oauth/oauth-pending.schema';

export const CONNECT_SESSION_MODEL = 'ConnectSession';

/** open: created; started: sent to Flickr; connected / failed: finished (the link is used up). */
export type ConnectSessionState = 'open' | 'started' | 'connected' | 'failed';

/**
 * Collection `connect_sessions`: one hosted connect link, bound to the client and scoped user that
 * created it. `_id` is the SHA-256 of the link's one-time token; the token itself is never stored.
 */
export interface ConnectSessionRecord {
  _id: string;
  /** Public id the client may look the session up by (not a credential). */
  session_id: string;
  client_id: string;
  user_id: string;
  perms: FlickrPerms;
  mode: OAuthMode;
  /** Validated against the allowlist at creation; the page only ever uses this one. */
  return_url: string | null;
  state: ConnectSessionState;
  /** The Flickr request token of the current attempt (public: it travels in the authorize URL). */
  oauth_token: string | null;
  authorize_url: string | null;
  created_at: Date;
  expires_at: Date;
  /** When the record is deleted (a day after expiry, so a late visit still gets a clear answer). */
  purge_at: Date;
}

export const ConnectSessionSchema = new Schema<ConnectSessionRecord>(
  {
    _id: { type: String, required: true },
    session_id: { type: String, required: true },
    client_id: { type: String, required: true },
    user_id: { type: String, required: true },
    perms: { type: String, required: true },
    mode: { type: String, required: true },
    return_url: { type: String, default: null },
    state: { type: String, required: true },
    oauth_token: { type: String, default: null },
    authorize_url: { type: String, default: null },
    created_at: { type: Date, required: true },
    expires_at: { type: Date, required: true },
    purge_at: { type: Date, required: true },
  },
  { collection: 'connect_sessions', versionKey: false, _id: false },
);
ConnectSessionSchema.index({ session_id: 1 }, { unique: true });
ConnectSessionSchema.index({ oauth_token: 1 }, { sparse: true });
ConnectSessionSchema.index({ purge_at: 1 }, { expireAfterSeconds: 0 });
