import { IsOptional, IsString, Matches } from 'class-validator';
import type { ConfigSlice } from '../config/env.validation';

/** Hosted connect pages: where they are served from, and where they may send the browser back to. */
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
   * Comma-separated origins a connect session's `return_url` may point at (e.g.
   * `https://app.example.com,http://localhost:3000`). Empty: no return URL is accepted (sessions still work without one).
   */
  @IsString()
  CONNECT_RETURN_URL_ORIGINS = '';

  /** The allowlist as parsed origins. */
  returnOrigins(): string[] {
    return this.CONNECT_RETURN_URL_ORIGINS.split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .map((s) => {
        try {
          return new URL(s).origin;
        } catch {
          return s;
        }
      });
  }

  productionProblems(): string[] {
    const problems: string[] = [];
    if (this.CONNECT_PUBLIC_URL && !this.CONNECT_PUBLIC_URL.startsWith('https://')) problems.push('CONNECT_PUBLIC_URL: must be https in production');
    if (this.returnOrigins().some((o) => !o.startsWith('https://'))) problems.push('CONNECT_RETURN_URL_ORIGINS: every origin must be https in production');
    return problems;
  }
}
