import type { ApiKeyRole } from './api-key.schema';

/** Who is calling: attached to the request by the auth guard, read by controllers and the audit hook. */
export interface Principal {
  keyId: string;
  clientId: string;
  role: ApiKeyRole;
  ipAllowlist: string[];
  /** The key's per-minute limit override (field name read by the rate-limit module). */
  rateLimit?: number | null;
  method: 'api-key' | 'hmac';
  /** The key's weight in the upload queue's fair scheduling (default 1; docs/queue.md). */
  queueWeight?: number;
}

/** Fields the auth guard leaves on the Fastify request for handlers and the audit hook. */
export interface AuthenticatedRequestFields {
  principal?: Principal;
  clientIp?: string;
}
