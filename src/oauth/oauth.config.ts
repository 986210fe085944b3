import { IsBoolean, IsDefined, IsInt, Matches, Max, Min, ValidateIf } from 'class-validator';
import { ToBool, ToInt } from '../config/env.transforms';
import type { ConfigSlice } from '../config/env.validation';

/** The Flickr connection flow: callback mode flag and URL, pending request lifetime. */
export class OAuthConfig implements ConfigSlice {
  /** Enables mode `callback` and GET /v1/oauth/callback (off: only the out-of-band PIN flow). */
  @ToBool()
  @IsBoolean()
  OAUTH_CALLBACK_ENABLED = false;

  /** Where Flickr sends the user's browser back: this gateway's public /v1/oauth/callback URL. */
  @ValidateIf((c: OAuthConfig) => c.OAUTH_CALLBACK_ENABLED || c.OAUTH_CALLBACK_URL !== undefined)
  @IsDefined({ message: 'must be set when OAUTH_CALLBACK_ENABLED=true' })
  @Matches(/^https?:\/\/\S+$/, { message: 'must be an http(s) URL' })
  OAUTH_CALLBACK_URL?: string;

  /** Lifetime of a pending request token (Flickr's own lifetime is short too). */
  @ToInt()
  @IsInt()
  @Min(30)
  @Max(3600)
  OAUTH_PENDING_TTL_S = 900;

  /** Wrong PINs accepted per pending request before it is dropped (a 9-digit PIN must not be guessable). */
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(20)
  OAUTH_VERIFY_MAX_ATTEMPTS = 5;

  productionProblems(): string[] {
    return this.OAUTH_CALLBACK_ENABLED && !this.OAUTH_CALLBACK_URL?.startsWith('https://')
      ? ['OAUTH_CALLBACK_URL: must be https in production']
      : [];
  }
}
