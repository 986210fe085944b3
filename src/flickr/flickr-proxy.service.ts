import { Injectable, type OnModuleInit } from '@nestjs/common';
import { type ScopedUser, scopedUserKey } from '../users/user.identity';
import { flickrAppIdOf, UserConnectionService } from '../users/user-connection.service';
import { UserErasure } from '../users/user-erasure';
import type { UserRecord } from '../users/user.schema';
import { FlickrApiService } from './flickr-api.service';
import { FlickrAppResolver } from './flickr-app.resolver';
import { FlickrReauthorizationRequiredProblem } from './flickr.errors';
import { assertFlickrPermission, validateFlickrCall } from './flickr-proxy.validation';

/**
 * The cache scope of a user: its client-scoped key and its incarnation (when
 * the record was created), so answers cached for an erased user can never be
 * served to a later user of the same name, not even of the same client.
 */
export function cacheScopeOf(user: ScopedUser, record: Pick<UserRecord, 'created_at'>): string {
  return `${scopedUserKey(user)}#${new Date(record.created_at).getTime()}`;
}

/**
 * The proxy's rules: a catalogued, proxiable method with its parameters
 * (checked before anything else), the caller's own connected user, a granted
 * permission that covers the method, the client's Flickr app (the token must
 * have been issued to it; calls are signed with it and counted against its
 * budget), and the connection flipped to "re-authorisation required" when
 * Flickr refuses the token or the client has switched apps since.
 */
@Injectable()
export class FlickrProxyService implements OnModuleInit {
  constructor(
    private readonly flickr: FlickrApiService,
    private readonly connections: UserConnectionService,
    private readonly erasure: UserErasure,
    private readonly apps: FlickrAppResolver,
  ) {}

  onModuleInit(): void {
    // Erasing a user purges its cached answers (all incarnations).
    this.erasure.register({ name: 'flickr-cache', eraseUser: async (user) => void (await this.flickr.purgeCache(`${scopedUserKey(user)}#`)) });
  }

  /** Calls `method` as the scoped user with `body` as Flickr's parameters; Flickr's answer as UTF-8 JSON. */
  async call(user: ScopedUser, method: string, body: unknown, bypassCache: boolean): Promise<Buffer> {
    const call = validateFlickrCall(method, body);
    // The connection from this replica's short-lived cache (no database read when warm); the token is read and
    // decrypted only if the call really goes to Flickr (not on a response-cache hit).
    const { user: record, tokens } = await this.connections.connectionFor(user);
    // Checked before the cache, the budget and Flickr: a read-only connection never spends anything on a write.
    assertFlickrPermission(call.method, user.userId, record.flickr?.perms);
    try {
      // From this replica's cache of clients' apps (no read when warm). A token issued to another app than the
      // client's current one would be refused by Flickr (98): the switch already marked it, this catches a race.
      const app = await this.apps.forClient(user.clientId);
      if (flickrAppIdOf(record) !== app.id) throw new FlickrReauthorizationRequiredProblem();
      // Signed with the client's app: the token carries its consumer (FlickrUserToken.consumer).
      const token = async () => FlickrAppResolver.bind(await tokens(), app);
      // The caller's fair share of the Flickr app's budget is counted per client.
      return await this.flickr.callJson(cacheScopeOf(user, record), token, method, call.params, {
        bypassCache,
        caller: { clientId: user.clientId },
        app: { id: app.id, budgetPerWindow: app.budgetPerWindow },
      });
    } catch (error) {
      if (error instanceof FlickrReauthorizationRequiredProblem) await this.connections.markReauthorizationRequired(user);
      throw error;
    }
  }
}
