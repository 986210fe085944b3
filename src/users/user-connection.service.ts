import { Injectable, Logger } from '@nestjs/common';
import { SecurityEvents } from '../security-events/security-events.service';
import { FlickrNotConnectedProblem, FlickrReauthorizationRequiredProblem } from './user-connection.errors';
import { type FlickrTokens, TokenStore } from '../tokens/token.store';
import { WebhookEmitter } from '../webhooks/webhook.emitter';
import { type ScopedUser, scopedUserKey } from './user.identity';
import { UserChangeBus } from './user-change.bus';
import { UserConnectionCache } from './user-connection.cache';
import { UserTokenCache } from './user-token.cache';
import { UserErasure } from './user-erasure';
import { UserRepository } from './user.repository';
import type { FlickrConnection, UserRecord } from './user.schema';
import { UserOwnershipService } from './user-ownership.service';

/** The Flickr account facts stored with a new connection. */
export interface FlickrAccount {
  nsid: string;
  username: string;
  fullname: string;
  perms: FlickrConnection['perms'];
  /** The Flickr app the token was issued to (`default`: the gateway's app). */
  appId?: string;
}

/** The app id of connections made with the gateway's own Flickr app (and of those stored before apps had ids). */
export const DEFAULT_FLICKR_APP_ID = 'default';

/** The Flickr app a connection's token was issued to. */
export const flickrAppIdOf = (record: Pick<UserRecord, 'flickr'>): string => record.flickr?.app_id ?? DEFAULT_FLICKR_APP_ID;

/** A scoped user's Flickr token with the record it belongs to. */
export interface UserTokens {
  user: UserRecord;
  tokens: FlickrTokens;
}

/** Whether the record is still in the pre-scoping shape (ObjectId `_id`). */
const isLegacy = (record: UserRecord): boolean => typeof record._id !== 'string';

/**
 * A scoped user's Flickr connection: the token (through TokenStore, the only
 * code that touches it, under the scoped key) and the public state shown by
 * GET /v1/users/:user_id. Every token reader goes through here, so a token is
 * only ever used for the client that owns the user.
 */
@Injectable()
export class UserConnectionService {
  private readonly logger = new Logger(UserConnectionService.name);

  constructor(
    private readonly users: UserRepository,
    private readonly ownership: UserOwnershipService,
    private readonly tokens: TokenStore,
    private readonly erasure: UserErasure,
    private readonly audit: SecurityEvents,
    private readonly cache: UserConnectionCache,
    private readonly changes: UserChangeBus,
    private readonly webhooks: WebhookEmitter,
    private readonly tokenCache: UserTokenCache,
  ) {}

  /** Stores the access token (encrypted) first, then marks the user connected, so a connected user always has a token. */
  async connect(user: ScopedUser, account: FlickrAccount, tokens: FlickrTokens): Promise<void> {
    const record = await this.ownership.assertOwned(user);
    await this.tokens.save(scopedUserKey(user), tokens);
    if (isLegacy(record)) await this.tokens.delete(record.user_id);
    const now = new Date();
    const { appId, ...facts } = account;
    await this.users.setFlickrConnection(record, { state: 'connected', ...facts, app_id: appId ?? DEFAULT_FLICKR_APP_ID, connected_at: now, changed_at: now });
    await this.announce(user);
    await this.webhooks.emit({ clientId: user.clientId, userId: user.userId, type: 'connection.created', data: { state: 'connected', nsid: facts.nsid, username: facts.username, perms: facts.perms } });
  }

  /** Flickr refused the user's token (code 98): calls stop until the user connects again. */
  async markReauthorizationRequired(user: ScopedUser): Promise<void> {
    const record = await this.users.findScoped(user);
    if (record && (await this.users.markFlickrReauthorizationRequired(record, new Date()))) {
      this.logger.warn({ clientId: user.clientId, userId: user.userId }, 'Flickr refused the token; the connection needs re-authorisation');
      await this.announce(user);
      await this.webhooks.emit({ clientId: user.clientId, userId: user.userId, type: 'connection.reauthorization_required', data: { state: 'reauthorization_required', reason: 'token-rejected' } });
    }
  }

  /**
   * The client changed Flickr apps (src/flickr-apps): every connection of the client whose token was
   * issued to another app than `appId` stops until the user connects again (Flickr tokens are bound to
   * the consumer key). Returns how many were marked; each is announced like any other user change.
   */
  async markClientReauthorizationRequired(clientId: string, appId: string): Promise<number> {
    const marked = await this.users.markClientFlickrReauthorizationRequired(clientId, appId, DEFAULT_FLICKR_APP_ID, new Date());
    for (const record of marked) {
      await this.announce({ clientId: record.client_id, userId: record.user_id });
      await this.webhooks.emit({ clientId: record.client_id, userId: record.user_id, type: 'connection.reauthorization_required', data: { state: 'reauthorization_required', reason: 'flickr-app-changed' } });
    }
    if (marked.length > 0) this.logger.warn({ clientId, appId, users: marked.length }, "the client's Flickr app changed; its other connections need re-authorisation");
    return marked.length;
  }

  /**
   * The scoped user's connection for a Flickr call, without reading the token: 404 when the client
   * has no such user, 409 `flickr-not-connected` or `flickr-reauthorization-required` otherwise.
   * The record comes from this replica's short-lived cache when it has it (UserConnectionCache), so a
   * call answered from the response cache reads nothing; `tokens()` reads and decrypts the token, for
   * the calls that really go to Flickr.
   */
  async connectionFor(user: ScopedUser): Promise<{ user: UserRecord; tokens: () => Promise<FlickrTokens> }> {
    const key = scopedUserKey(user);
    let record = this.cache.get(key);
    if (!record) {
      const epoch = this.cache.epoch;
      record = await this.ownership.assertOwned(user);
      this.cache.set(key, record, epoch);
    }
    if (record.flickr?.state === 'reauthorization_required') throw new FlickrReauthorizationRequiredProblem();
    if (!record.flickr) throw new FlickrNotConnectedProblem();
    const connected = record;
    return {
      user: connected,
      tokens: async () => {
        const tokens = await this.readTokensCached(connected);
        if (!tokens) throw new FlickrNotConnectedProblem();
        return tokens;
      },
    };
  }

  /**
   * The scoped user's Flickr token: 404 when the client has no such user, 409
   * `flickr-not-connected` or `flickr-reauthorization-required` otherwise.
   */
  async tokensFor(user: ScopedUser): Promise<UserTokens> {
    const record = await this.ownership.assertOwned(user);
    if (record.flickr?.state === 'reauthorization_required') throw new FlickrReauthorizationRequiredProblem();
    const tokens = record.flickr ? await this.readTokens(record) : null;
    if (!tokens) throw new FlickrNotConnectedProblem();
    return { user: record, tokens };
  }

  /**
   * Erases the scoped user: its registration first (so new requests see no
   * user), then every feature's part (queued uploads, pending OAuth requests,
   * cached answers), then the token, and records it in the audit trail.
   * Idempotent: erasing a user the client does not have succeeds and changes
   * nothing of anyone else's.
   */
  async erase(user: ScopedUser, actor: string): Promise<void> {
    const record = await this.users.findScoped(user);
    if (record && record.client_id === user.clientId) await this.users.deleteRecord(record);
    const steps = await this.erasure.run(user);
    await this.tokens.delete(scopedUserKey(user));
    if (record && isLegacy(record)) await this.tokens.delete(record.user_id);
    await this.announce(user);
    await this.webhooks.emit({ clientId: user.clientId, userId: user.userId, type: 'connection.erased', data: { existed: record !== null } });
    await this.audit.record({
      action: 'user.erased',
      actor,
      target: scopedUserKey(user),
      details: { client_id: user.clientId, user_id: user.userId, existed: record !== null, steps },
    });
  }

  /**
   * Every replica drops its cached copy of the user (this one at once). Best effort: if Redis cannot
   * take the announcement, other replicas notice within USERS_CONNECTION_CACHE_TTL_MS; the change
   * itself is already stored, so it is not undone.
   */
  private async announce(user: ScopedUser): Promise<void> {
    const key = scopedUserKey(user);
    this.cache.invalidate(key);
    await this.changes.publish(key).catch((err: Error) =>
      this.logger.warn({ clientId: user.clientId, userId: user.userId }, `user change not announced (${err.message}); other replicas see it within the cache TTL`),
    );
  }

  /**
   * The token of a connected record. A legacy record's token may still sit
   * under the bare user_id or already under the scoped key (the migration moves
   * tokens before users): read the old place first, then the new one, so a move
   * between the two reads is never missed.
   */
  /**
   * {@link readTokens} through this replica's UserTokenCache (sealed envelopes only): no database read
   * when the envelope is cached; an envelope that no longer opens is dropped and read again.
   */
  private async readTokensCached(record: UserRecord): Promise<FlickrTokens | null> {
    if (isLegacy(record)) return this.readTokens(record);
    const key = scopedUserKey({ clientId: record.client_id, userId: record.user_id });
    const cached = this.tokenCache.get(key);
    if (cached) {
      try {
        return await this.tokens.open(cached);
      } catch {
        this.tokenCache.invalidate(key);
      }
    }
    const epoch = this.tokenCache.epoch;
    const sealed = await this.tokens.readSealed(key);
    if (!sealed) return this.tokens.get(key);
    this.tokenCache.set(key, sealed, epoch);
    return this.tokens.open(sealed);
  }

  private async readTokens(record: UserRecord): Promise<FlickrTokens | null> {
    const scoped = scopedUserKey({ clientId: record.client_id, userId: record.user_id });
    if (!isLegacy(record)) return this.tokens.get(scoped);
    return (await this.tokens.get(record.user_id)) ?? this.tokens.get(scoped);
  }
}
