import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { ToInt } from '../config/env.transforms';
import type { ConfigSlice } from '../config/env.validation';

/**
 * Hosted connect pages: where they are served from, and how long a replica trusts its copy of a
 * client's connect settings. Which return URLs a client may use, and its branding, are per client
 * (admin API, `PUT /admin/clients/:client_id/connect-settings`), not configuration.
 */
export class ConnectConfig implements ConfigSlice {
  /**
   * This gateway's public origin as browsers reach it (e.g. https://gateway.example.com), used to build
   * `connect_url` and the connect page's callback. Unset: the origin of the request that created the session
   * (fine behind a proxy that sets Host; set it in production).
   */
  @IsOptional()
  @Matches(/^https?:\/\/[^/\s]+$/, { message: 'must be an http(s) origin without a path, e.g. https://gateway.example.com' })
  CONNECT_PUBLIC_URL?: string;

  /**
   * How long a replica keeps a client's connect settings in memory (ms). Admin changes reach every
   * replica through Redis pub/sub at once; this bounds staleness only when that announcement is lost.
   * 0 reads the database on every page view and session creation.
   */
  @ToInt()
  @IsInt()
  @Min(0)
  @Max(300_000)
  CONNECT_SETTINGS_CACHE_TTL_MS = 30_000;

  productionProblems(): string[] {
    const problems: string[] = [];
    if (this.CONNECT_PUBLIC_URL && !this.CONNECT_PUBLIC_URL.startsWith('https://')) problems.push('CONNECT_PUBLIC_URL: must be https in production');
    return problems;
  }
}
