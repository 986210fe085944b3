import type { ApiKeyRecord, ApiKeyRole } from './api-key.schema';

/** What an admin may set on a key. */
export interface ApiKeySettings {
  name?: string;
  expires_at?: Date | null;
  rate_limit_override?: number | null;
  ip_allowlist?: string[];
  queue_weight?: number;
}

export interface NewApiKey extends ApiKeySettings {
  client_id: string;
  role: ApiKeyRole;
  name: string;
}

/** A key as the admin API shows it: never a secret or a hash. */
export interface ApiKeyView {
  key_id: string;
  client_id: string;
  role: ApiKeyRole;
  name: string;
  status: string;
  expires_at: Date | null;
  rate_limit_override: number | null;
  ip_allowlist: string[];
  queue_weight: number;
  created_at: Date;
  updated_at: Date;
  rotated_at: Date | null;
  revoked_at: Date | null;
  previous_secret_valid_until: Date | null;
}

/** Returned once, at creation or rotation. */
export interface IssuedApiKey extends ApiKeyView {
  /** `fgw_<id>_<secret>` for the X-API-Key header. */
  api_key: string;
  /** Secret for HMAC request signing. */
  signing_secret: string;
}

export function toView(r: ApiKeyRecord): ApiKeyView {
  return {
    key_id: r.key_id,
    client_id: r.client_id,
    role: r.role,
    name: r.name,
    status: r.status,
    expires_at: r.expires_at ?? null,
    rate_limit_override: r.rate_limit_override ?? null,
    ip_allowlist: r.ip_allowlist ?? [],
    queue_weight: r.queue_weight ?? 1,
    created_at: r.created_at,
    updated_at: r.updated_at,
    rotated_at: r.rotated_at ?? null,
    revoked_at: r.revoked_at ?? null,
    previous_secret_valid_until: r.previous_secret_hash ? (r.previous_valid_until ?? null) : null,
  };
}
