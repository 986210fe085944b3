import { IsInt, IsOptional, IsString, Matches, Min } from 'class-validator';
import { ToInt } from '../config/env.transforms';
import type { ConfigSlice } from '../config/env.validation';

/** Our Flickr app credentials, Flickr's URLs and the upstream protection settings. */
export class FlickrConfig implements ConfigSlice {
  /** The app's Flickr API key (OAuth consumer key). */
  @IsOptional()
  @IsString()
  FLICKR_CONSUMER_KEY?: string;

  @IsOptional()
  @IsString()
  FLICKR_CONSUMER_SECRET?: string;

  @Matches(/^https?:\/\/\S+$/, { message: 'must be an http(s) URL' })
  FLICKR_API_URL = 'https://api.flickr.com/services/rest';

  @Matches(/^https?:\/\/\S+$/, { message: 'must be an http(s) URL' })
  FLICKR_UPLOAD_URL = 'https://up.flickr.com/services/upload';

  @Matches(/^https?:\/\/\S+$/, { message: 'must be an http(s) URL' })
  FLICKR_OAUTH_URL = 'https://www.flickr.com/services/oauth';

  @ToInt()
  @IsInt()
  @Min(100)
  FLICKR_TIMEOUT_MS = 10_000;

  /** Upstream calls per window for our whole consumer key, all replicas together (Flickr allows 3,600/h). */
  @ToInt()
  @IsInt()
  @Min(1)
  FLICKR_BUDGET_LIMIT = 3500;

  @ToInt()
  @IsInt()
  @Min(1000)
  FLICKR_BUDGET_WINDOW_MS = 3_600_000;

  /**
   * Calls per FLICKR_BUDGET_WINDOW_MS that one process may still make while Redis (the shared budget) is
   * unreachable; size it as FLICKR_BUDGET_LIMIT divided by the processes that call Flickr (API replicas and
   * workers). 0 refuses every Flickr call while Redis is down (503 flickr-budget-exhausted).
   */
  @ToInt()
  @IsInt()
  @Min(0)
  FLICKR_BUDGET_FALLBACK_LIMIT = 350;

  /** Consecutive HTTP 429 answers that open the circuit breaker. */
  @ToInt()
  @IsInt()
  @Min(1)
  FLICKR_BREAKER_THRESHOLD = 3;

  /** How long the breaker stays open before one half-open probe. */
  @ToInt()
  @IsInt()
  @Min(100)
  FLICKR_BREAKER_OPEN_MS = 300_000;

  /** Retries of idempotent reads after a 5xx, a timeout or code 105. */
  @ToInt()
  @IsInt()
  @Min(0)
  FLICKR_READ_RETRIES = 2;

  @ToInt()
  @IsInt()
  @Min(1)
  FLICKR_RETRY_BASE_MS = 200;

  productionProblems(): string[] {
    const problems: string[] = [];
    if (!this.FLICKR_CONSUMER_KEY) problems.push('FLICKR_CONSUMER_KEY: must be set in production');
    if (!this.FLICKR_CONSUMER_SECRET) problems.push('FLICKR_CONSUMER_SECRET: must be set in production');
    for (const name of ['FLICKR_API_URL', 'FLICKR_UPLOAD_URL', 'FLICKR_OAUTH_URL'] as const) {
      if (!this[name].startsWith('https://')) problems.push(`${name}: must be https in production`);
    }
    return problems;
  }
}
