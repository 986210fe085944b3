import { Injectable, type OnModuleInit } from '@nestjs/common';
import { ValidationProblem } from '../common/problem/problem.exception';
import { type ScopedUser, scopedUserKey } from '../users/user.identity';
import { UserConnectionService } from '../users/user-connection.service';
import { UserErasure } from '../users/user-erasure';
import type { UserRecord } from '../users/user.schema';
import { FlickrApiService } from './flickr-api.service';
import type { FlickrAnswer } from './flickr.client';
import { FlickrReauthorizationRequiredProblem } from './flickr.errors';

/** Parameters the gateway sets itself; a caller may not override them. */
const RESERVED = /^(oauth_.*|api_key|method|format|nojsoncallback|jsoncallback|auth_token|api_sig)$/;
const MAX_PARAMS = 50;
const MAX_VALUE_LENGTH = 4096;

/**
 * The cache scope of a user: its client-scoped key and its incarnation (when
 * the record was created), so answers cached for an erased user can never be
 * served to a later user of the same name, not even of the same client.
 */
export function cacheScopeOf(user: ScopedUser, record: Pick<UserRecord, 'created_at'>): string {
  return `${scopedUserKey(user)}#${new Date(record.created_at).getTime()}`;
}

/**
 * The proxy's rules: the caller's own user, a connected account, allowed
 * parameters, and the connection flipped to "re-authorisation required" when
 * Flickr refuses the token.
 */
@Injectable()
export class FlickrProxyService implements OnModuleInit {
  constructor(
    private readonly flickr: FlickrApiService,
    private readonly connections: UserConnectionService,
    private readonly erasure: UserErasure,
  ) {}

  onModuleInit(): void {
    // Erasing a user purges its cached answers (all incarnations).
    this.erasure.register({ name: 'flickr-cache', eraseUser: async (user) => void (await this.flickr.purgeCache(`${scopedUserKey(user)}#`)) });
  }

  /** Calls `method` as the scoped user with `body` as Flickr's parameters. */
  async call(user: ScopedUser, method: string, body: unknown, bypassCache: boolean): Promise<FlickrAnswer> {
    this.flickr.policyOf(method);
    const params = toFlickrParams(body);
    const { user: record, tokens } = await this.connections.tokensFor(user);
    try {
      return await this.flickr.call(cacheScopeOf(user, record), { oauthToken: tokens.token, oauthTokenSecret: tokens.secret }, method, params, { bypassCache });
    } catch (error) {
      if (error instanceof FlickrReauthorizationRequiredProblem) await this.connections.markReauthorizationRequired(user);
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
