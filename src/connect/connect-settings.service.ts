import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../config/app.config';
import { ValidationProblem } from '../common/problem/problem.exception';
import { SecurityEvents } from '../security-events/security-events.service';
import { ConnectSettingsCache } from './connect-settings.cache';
import { ConnectSettingsChangeBus } from './connect-settings-change.bus';
import { type ConnectSettingsChange, ConnectSettingsRepository } from './connect-settings.repository';
import type { ConnectSettingsRecord } from './connect-settings.schema';
import { allowlistOrigin, displayName, logoUrl, MAX_RETURN_URL_ORIGINS } from './connect-url.rules';

/** What an admin sends: every field optional (absent: unchanged); null clears a field back to its default. */
export interface ConnectSettingsInput {
  display_name?: string | null;
  logo_url?: string | null;
  return_url_origins?: string[];
}

/** A client's connect settings as the admin API shows them (the defaults when none are stored). */
export interface ConnectSettingsView {
  client_id: string;
  display_name: string | null;
  logo_url: string | null;
  return_url_origins: string[];
  updated_at: Date | null;
}

/** What the connect page and session creation need of a client. */
export interface ConnectClient {
  clientId: string;
  /** The display name, or the client id without one. */
  name: string;
  logoUrl: string | null;
  returnUrlOrigins: readonly string[];
}

const view = (clientId: string, r: ConnectSettingsRecord | null): ConnectSettingsView => ({
  client_id: clientId,
  display_name: r?.display_name ?? null,
  logo_url: r?.logo_url ?? null,
  return_url_origins: r?.return_url_origins ?? [],
  updated_at: r?.updated_at ?? null,
});

/**
 * Per-client settings of the hosted connect page (branding and the return-URL allowlist): the admin's
 * writes (validated, each a security event: the allowlist decides where browsers are sent) and the
 * cached read the page and session creation use on every request.
 */
@Injectable()
export class ConnectSettingsService {
  private readonly logger = new Logger(ConnectSettingsService.name);
  private readonly inflight = new Map<string, Promise<ConnectSettingsRecord | null>>();

  constructor(
    private readonly repo: ConnectSettingsRepository,
    private readonly cache: ConnectSettingsCache,
    private readonly changes: ConnectSettingsChangeBus,
    private readonly app: AppConfig,
    private readonly audit: SecurityEvents,
  ) {}

  /** The client as the page shows it, through the per-replica cache. */
  async client(clientId: string): Promise<ConnectClient> {
    const r = await this.cached(clientId);
    return { clientId, name: r?.display_name ?? clientId, logoUrl: r?.logo_url ?? null, returnUrlOrigins: r?.return_url_origins ?? [] };
  }

  /** The stored settings (read from the database, not the cache: the admin sees what is stored). */
  async get(clientId: string): Promise<ConnectSettingsView> {
    return view(clientId, await this.repo.findByClient(clientId));
  }

  /** Validates and stores the given fields; every replica drops its copy. */
  async put(clientId: string, input: ConnectSettingsInput, actor: string): Promise<ConnectSettingsView> {
    const change = this.validate(input);
    const previous = await this.repo.findByClient(clientId);
    const stored = await this.repo.update(clientId, change, new Date());
    await this.announce(clientId);
    await this.audit.record({
      action: 'connect.settings.updated',
      actor,
      target: clientId,
      client_id: clientId,
      details: {
        client_id: clientId,
        changed: Object.keys(change),
        return_url_origins: stored.return_url_origins,
        previous_return_url_origins: previous?.return_url_origins ?? [],
        logo_url: stored.logo_url,
      },
    });
    return view(clientId, stored);
  }

  private validate(input: ConnectSettingsInput): ConnectSettingsChange {
    const production = this.app.NODE_ENV === 'production';
    const errors: string[] = [];
    const change: ConnectSettingsChange = {};
    if (input.display_name !== undefined) {
      const r = input.display_name === null ? null : displayName(input.display_name);
      if (r && !r.ok) errors.push(`display_name: ${r.reason}`);
      else change.display_name = r ? r.value : null;
    }
    if (input.logo_url !== undefined) {
      const r = input.logo_url === null ? null : logoUrl(input.logo_url, production);
      if (r && !r.ok) errors.push(`logo_url: ${r.reason}`);
      else change.logo_url = r ? r.value : null;
    }
    if (input.return_url_origins !== undefined) {
      if (input.return_url_origins.length > MAX_RETURN_URL_ORIGINS) errors.push(`return_url_origins: at most ${MAX_RETURN_URL_ORIGINS} origins`);
      const origins: string[] = [];
      input.return_url_origins.forEach((raw, i) => {
        const r = allowlistOrigin(raw, production);
        if (!r.ok) errors.push(`return_url_origins[${i}]: ${r.reason}`);
        else if (!origins.includes(r.value)) origins.push(r.value);
      });
      change.return_url_origins = origins;
    }
    if (errors.length > 0) throw new ValidationProblem(errors);
    return change;
  }

  private cached(clientId: string): Promise<ConnectSettingsRecord | null> {
    const hit = this.cache.get(clientId);
    if (hit !== undefined) return Promise.resolve(hit);
    // Concurrent misses of one client share one read.
    let pending = this.inflight.get(clientId);
    if (!pending) {
      const epoch = this.cache.epoch;
      pending = this.repo
        .findByClient(clientId)
        .then((r) => {
          this.cache.set(clientId, r, epoch);
          return r;
        })
        .finally(() => this.inflight.delete(clientId));
      this.inflight.set(clientId, pending);
    }
    return pending;
  }

  /** Every replica drops its copy (this one at once); others within the cache TTL if Redis cannot take it. */
  private async announce(clientId: string): Promise<void> {
    this.cache.invalidate(clientId);
    // A read started before the change must not answer later callers either.
    this.inflight.delete(clientId);
    await this.changes.publish(clientId).catch((err: Error) =>
      this.logger.warn({ clientId }, `connect settings change not announced (${err.message}); other replicas see it within CONNECT_SETTINGS_CACHE_TTL_MS`),
    );
  }
}
