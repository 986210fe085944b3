import { Injectable } from '@nestjs/common';
import { FlickrAppsConfig } from './flickr-apps.config';
import { FlickrAppChangeBus } from './flickr-app-change.bus';

/** Most clients whose app one replica keeps in memory (oldest dropped first). */
const MAX_ENTRIES = 10_000;

/** A client's own Flickr app in clear, as the signing code needs it. */
export interface ClientFlickrApp {
  clientId: string;
  /** Names the app for budgets, breakers and the connections whose tokens it issued. */
  appId: string;
  consumerKey: string;
  consumerSecret: string;
  budgetPerHour: number;
}

interface Entry {
  app: ClientFlickrApp | null;
  expiresAt: number;
}

/**
 * Each replica's short-lived copy of clients' resolved apps (null: the client uses the gateway's app),
 * so a proxy call does not read `flickr_apps` and open an envelope every time. Every change is announced
 * on the FlickrAppChangeBus and drops the entry on every replica; a reconnecting subscriber drops
 * everything (announcements may have been missed). A read that started before a change does not put
 * the old app back (`epoch`, as in UserConnectionCache).
 */
@Injectable()
export class FlickrAppCache {
  private readonly entries = new Map<string, Entry>();
  private epochCounter = 0;

  constructor(
    private readonly config: FlickrAppsConfig,
    bus: FlickrAppChangeBus,
  ) {
    bus.onChange((clientId) => this.invalidate(clientId));
    bus.onResubscribed(() => this.clear());
  }

  get epoch(): number {
    return this.epochCounter;
  }

  /** The cached app (null: the gateway's), or undefined when not cached. */
  get(clientId: string): ClientFlickrApp | null | undefined {
    const entry = this.entries.get(clientId);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.entries.delete(clientId);
      return undefined;
    }
    return entry.app;
  }

  set(clientId: string, app: ClientFlickrApp | null, readAtEpoch: number): void {
    const ttl = this.config.FLICKR_APPS_CACHE_TTL_MS;
    if (ttl === 0 || readAtEpoch !== this.epochCounter) return;
    if (this.entries.size >= MAX_ENTRIES && !this.entries.has(clientId)) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(clientId, { app, expiresAt: Date.now() + ttl });
  }

  invalidate(clientId: string): void {
    this.epochCounter++;
    this.entries.delete(clientId);
  }

  clear(): void {
    this.epochCounter++;
    this.entries.clear();
  }
}
