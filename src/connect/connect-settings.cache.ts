import { Injectable } from '@nestjs/common';
import { InvalidationCache } from '../redis/invalidation.cache';
import { ConnectConfig } from './connect.config';
import { ConnectSettingsChangeBus } from './connect-settings-change.bus';
import type { ConnectSettingsRecord } from './connect-settings.schema';

/** Most clients whose settings one replica keeps in memory (oldest dropped first). */
const MAX_ENTRIES = 10_000;

/**
 * Each replica's short-lived copy of clients' connect settings (null: none stored, the defaults), so
 * every page view and session creation does not read `connect_settings`. Every admin change is announced
 * on the ConnectSettingsChangeBus and drops the entry on every replica.
 */
@Injectable()
export class ConnectSettingsCache extends InvalidationCache<ConnectSettingsRecord | null> {
  constructor(config: ConnectConfig, bus: ConnectSettingsChangeBus) {
    super(bus, { ttlMs: config.CONNECT_SETTINGS_CACHE_TTL_MS, maxEntries: MAX_ENTRIES });
  }
}
