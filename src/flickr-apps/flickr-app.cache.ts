import { Injectable } from '@nestjs/common';
import { InvalidationCache } from '../redis/invalidation.cache';
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

/**
 * Each replica's short-lived copy of clients' resolved apps (null: the client uses the gateway's app),
 * keyed by client id, so a proxy call does not read `flickr_apps` and open an envelope every time.
 * Every change is announced on the FlickrAppChangeBus and drops the entry on every replica; a read
 * that started before a change does not put the old app back (see InvalidationCache).
 */
@Injectable()
export class FlickrAppCache extends InvalidationCache<ClientFlickrApp | null> {
  constructor(config: FlickrAppsConfig, bus: FlickrAppChangeBus) {
    super(bus, { ttlMs: config.FLICKR_APPS_CACHE_TTL_MS, maxEntries: MAX_ENTRIES });
  }
}
