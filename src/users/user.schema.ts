import { Schema, type Types } from 'mongoose';

export const USER_MODEL = 'User';

/** States of a user's Flickr connection. `reauthorization_required`: Flickr refused the token (code 98). */
export const FLICKR_CONNECTION_STATES = ['connected', 'reauthorization_required'] as const;
export type FlickrConnectionState = (typeof FLICKR_CONNECTION_STATES)[number];

/** The Flickr account a user connected (public facts only; the token itself lives in `tokens`). */
export interface FlickrConnection {
  state: FlickrConnectionState;
  nsid: string;
  username: string;
  fullname: string;
  perms: 'read' | 'write' | 'delete';
  connected_at: Date;
  /** When the state last changed (e.g. when Flickr refused the token). */
  changed_at: Date;
  /**
   * The Flickr app (consumer key) the token was issued to: `default` for the gateway's app, else the
   * client's own app's id (src/flickr-apps). Absent on connections made before per-client apps: `default`.
   * Flickr tokens are bound to the consumer key, so a token is only usable with this app.
   */
  app_id?: string;
}

/**
 * Collection `users`: one document per scoped user, `_id` = `<client_id>/<user_id>`
 * (scopedUserKey), so every lookup hits the primary key. Records written before
 * the scoping have an ObjectId `_id` and a globally unique `user_id` until
 * `users:scope-migrate` moves them (docs/runbooks/scope-migration.md).
 */
export interface UserRecord {
  _id: string | Types.ObjectId;
  user_id: string;
  client_id: string;
  created_at: Date;
  flickr?: FlickrConnection | null;
}

const FlickrConnectionSchema = new Schema<FlickrConnection>(
  {
    state: { type: String, enum: FLICKR_CONNECTION_STATES, required: true },
    nsid: { type: String, required: true },
    username: { type: String, required: true },
    fullname: { type: String, default: '' },
    perms: { type: String, required: true },
    connected_at: { type: Date, required: true },
    changed_at: { type: Date, required: true },
    app_id: { type: String },
  },
  { _id: false },
);

export const UserSchema = new Schema<UserRecord>(
  {
    // Mixed: string keys for scoped records, ObjectId for legacy ones still to migrate.
    _id: { type: Schema.Types.Mixed },
    user_id: { type: String, required: true },
    client_id: { type: String, required: true },
    created_at: { type: Date, required: true },
    flickr: { type: FlickrConnectionSchema, default: null },
  },
  { collection: 'users', versionKey: false },
);
// A client's users by user_id (legacy lookups, the app switch); lookups of one user use _id.
UserSchema.index({ client_id: 1, user_id: 1 });
// GET /v1/users pages in (created_at, user_id) order, all users or those in one connection state (`null`:
// never connected): each page is one range of one of these indexes (docs/authentication.md, Listing users).
UserSchema.index({ client_id: 1, created_at: 1, user_id: 1 });
UserSchema.index({ client_id: 1, 'flickr.state': 1, created_at: 1, user_id: 1 });

/** The pre-scoping unique index on the bare user_id; dropped by the scope migration. */
export const LEGACY_USER_ID_INDEX = 'user_id_1';
