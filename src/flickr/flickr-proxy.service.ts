import { Injectable } from '@nestjs/common';
import { ValidationProblem } from '../common/problem/problem.exception';
import { UserConnectionService } from '../users/user-connection.service';
import { FlickrApiService } from './flickr-api.service';
import type { FlickrAnswer } from './flickr.client';
import { FlickrReauthorizationRequiredProblem } from './flickr.errors';

/** Parameters the gateway sets itself; a caller may not override them. */
const RESERVED = /^(oauth_.*|api_key|method|format|nojsoncallback|jsoncallback|auth_token|api_sig)$/;
const MAX_PARAMS = 50;
const MAX_VALUE_LENGTH = 4096;

/**
 * The proxy's rules: the caller's own user, a connected account, allowed
 * parameters, and the connection flipped to "re-authorisation required" when
 * Flickr refuses the token.
 */
@Injectable()
export class FlickrProxyService {
  constructor(
    private readonly flickr: FlickrApiService,
    private readonly connections: UserConnectionService,
  ) {}

  /** Calls `method` as `userId` (a user of `clientId`) with `body` as Flickr's parameters. */
  async call(clientId: string, userId: string, method: string, body: unknown, bypassCache: boolean): Promise<FlickrAnswer> {
    this.flickr.policyOf(method);
    const params = toFlickrParams(body);
    const tokens = await this.connections.tokensFor(clientId, userId);
    try {
      return await this.flickr.call(userId, { oauthToken: tokens.token, oauthTokenSecret: tokens.secret }, method, params, { bypassCache });
    } catch (error) {
      if (error instanceof FlickrReauthorizationRequiredProblem) await this.connections.markReauthorizationRequired(userId);
      throw error;
    }
  }
}

/** A flat JSON object of scalars → Flickr's string parameters; anything else is a 400. */
export function toFlickrParams(body: unknown): Record<string, string> {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw new ValidationProblem(['body must be a JSON object of Flickr parameters']);
  const entries = Object.entries(body as Record<string, unknown>);
  const errors: string[] = [];
  if (entries.length > MAX_PARAMS) errors.push(`at most ${MAX_PARAMS} parameters`);
  const params: Record<string, string> = {};
  for (const [name, value] of entries) {
    if (RESERVED.test(name)) errors.push(`${name}: set by the gateway, not by the caller`);
    else if (!/^[a-z_][a-z0-9_]{0,63}$/.test(name)) errors.push(`${name}: not a Flickr parameter name`);
    else if (!['string', 'number', 'boolean'].includes(typeof value)) errors.push(`${name}: must be a string, number or boolean`);
    else if (String(value).length > MAX_VALUE_LENGTH) errors.push(`${name}: longer than ${MAX_VALUE_LENGTH} characters`);
    else params[name] = typeof value === 'boolean' ? (value ? '1' : '0') : String(value);
  }
  if (errors.length > 0) throw new ValidationProblem(errors);
  return params;
}
