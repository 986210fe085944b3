import { Schema } from 'mongoose';

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
}

/** Collection `users`: which client owns each user_id, and its Flickr connection. */
export interface UserRecord {
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
  },
  { _id: false },
);

export const UserSchema = new Schema<UserRecord>(
  {
    user_id: { type: String, required: true, unique: true },
    client_id: { type: String, required: true, index: true },
    created_at: { type: Date, required: true },
    flickr: { type: FlickrConnectionSchema, default: null },
  },
  { collection: 'users', versionKey: false },
);
