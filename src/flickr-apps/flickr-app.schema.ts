import { Schema } from 'mongoose';
import type { Envelope } from '../kms/envelope';

export const FLICKR_APP_MODEL = 'FlickrApp';

/** The budget a client's own app gets when the admin sets none: Flickr allows 3,600 calls an hour per key. */
export const DEFAULT_APP_BUDGET_PER_HOUR = 3500;

/**
 * Collection `flickr_apps`: a client's own Flickr app, one document per client, `_id` = client_id (the hot
 * lookup is by client). `app_id` names the app (derived from the consumer key): budgets and breakers are
 * keyed by it and every user connection remembers the app_id its token was issued to. The consumer secret
 * exists only inside `secret_enc` (sealed under the app-credentials key, bound to this client).
 */
export interface FlickrAppRecord {
  _id: string;
  app_id: string;
  consumer_key: string;
  secret_enc: Envelope;
  /** Upstream calls per hour for this app, all replicas together; null: DEFAULT_APP_BUDGET_PER_HOUR. */
  budget_per_hour: number | null;
  created_at: Date;
  updated_at: Date;
}

export const FlickrAppSchema = new Schema<FlickrAppRecord>(
  {
    _id: { type: String },
    app_id: { type: String, required: true },
    consumer_key: { type: String, required: true },
    secret_enc: { type: Schema.Types.Mixed, required: true },
    budget_per_hour: { type: Number, default: null },
    created_at: { type: Date, required: true },
    updated_at: { type: Date, required: true },
  },
  { collection: 'flickr_apps', versionKey: false, minimize: false },
);
