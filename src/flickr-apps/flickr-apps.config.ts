import { IsInt, Max, Min } from 'class-validator';
import { ToInt } from '../config/env.transforms';
import type { ConfigSlice } from '../config/env.validation';

/** Per-client Flickr apps: how long a replica trusts its copy of a client's app (docs/flickr.md, "Per-client Flickr apps"). */
export class FlickrAppsConfig implements ConfigSlice {
  /**
   * How long a replica keeps a client's resolved Flickr app (or "none: the gateway's app") in memory (ms).
   * Admin changes reach every replica through Redis pub/sub at once; this bounds staleness only when that
   * announcement is lost. 0 reads the database on every call that needs the app.
   */
  @ToInt()
  @IsInt()
  @Min(0)
  @Max(300_000)
  FLICKR_APPS_CACHE_TTL_MS = 30_000;

  productionProblems(): string[] {
    return [];
  }
}
