import { Schema } from 'mongoose';

export const CONNECT_SETTINGS_MODEL = 'ConnectSettings';

/**
 * Collection `connect_settings`: how the hosted connect page presents one client and where it may send
 * the browser back to. One document per client, `_id` = client_id (the page and session creation look it
 * up by client on the primary key). Absent document: the defaults (no branding, no return URL accepted).
 */
export interface ConnectSettingsRecord {
  _id: string;
  /** Plain text shown as the application's name; null: the client id. */
  display_name: string | null;
  /** An https image URL shown on the page; its origin is added to that page's `img-src`. */
  logo_url: string | null;
  /** Normalised origins (`scheme://host[:port]`) a session's return_url may point at. */
  return_url_origins: string[];
  created_at: Date;
  updated_at: Date;
}

export const ConnectSettingsSchema = new Schema<ConnectSettingsRecord>(
  {
    _id: { type: String },
    display_name: { type: String, default: null },
    logo_url: { type: String, default: null },
    return_url_origins: { type: [String], default: [] },
    created_at: { type: Date, required: true },
    updated_at: { type: Date, required: true },
  },
  { collection: 'connect_settings', versionKey: false, minimize: false },
);
