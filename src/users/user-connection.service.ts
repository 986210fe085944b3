import { Injectable, Logger } from '@nestjs/common';
import { ProblemException } from '../common/problem/problem.exception';
import { FlickrReauthorizationRequiredProblem } from '../flickr/flickr.errors';
import { type FlickrTokens, TokenStore } from '../tokens/token.store';
import { UserRepository } from './user.repository';
import type { FlickrConnection, UserRecord } from './user.schema';
import { UserOwnershipService } from './user-ownership.service';

/** 409: the user has not connected a Flickr account yet. */
export class FlickrNotConnectedProblem extends ProblemException {
  constructor() {
    super('flickr-not-connected', 'Flickr Account Not Connected', 409, 'This user has not connected a Flickr account; start with POST /v1/oauth/start.');
  }
}

/** The Flickr account facts stored with a new connection. */
export interface FlickrAccount {
  nsid: string;
  username: string;
  fullname: string;
  perms: FlickrConnection['perms'];
}

/**
 * A user's Flickr connection: the token (through TokenStore, the only code
 * that touches it) and the public state shown by GET /v1/users/:user_id.
 */
@Injectable()
export class UserConnectionService {
  private readonly logger = new Logger(UserConnectionService.name);

  constructor(
    private readonly users: UserRepository,
    private readonly ownership: UserOwnershipService,
    private readonly tokens: TokenStore,
  ) {}

  /** Stores the access token (encrypted) first, then marks the user connected, so a connected user always has a token. */
  async connect(userId: string, account: FlickrAccount, tokens: FlickrTokens): Promise<void> {
    await this.tokens.save(userId, tokens);
    const now = new Date();
    await this.users.setFlickrConnection(userId, { state: 'connected', ...account, connected_at: now, changed_at: now });
  }

  /** Flickr refused the user's token (code 98): calls stop until the user connects again. */
  async markReauthorizationRequired(userId: string): Promise<void> {
    if (await this.users.markFlickrReauthorizationRequired(userId, new Date())) {
      this.logger.warn({ userId }, 'Flickr refused the token; the connection needs re-authorisation');
    }
  }

  /**
   * The user's Flickr token for a call on behalf of `clientId`: 404 for unknown
   * or foreign users, 409 when not connected, 401 when Flickr refused it before.
   */
  async tokensFor(clientId: string, userId: string): Promise<FlickrTokens> {
    const user = await this.ownership.assertOwned(clientId, userId);
    return this.tokensOf(user);
  }

  /** As tokensFor, for a user already known to the caller (the worker, which has no client request). */
  async tokensOfUser(userId: string): Promise<FlickrTokens> {
    const user = await this.users.findById(userId);
    if (!user) throw new FlickrNotConnectedProblem();
    return this.tokensOf(user);
  }

  /** Erases the user: its stored token, its connection and its registration. */
  async erase(clientId: string, userId: string): Promise<void> {
    await this.ownership.assertOwned(clientId, userId);
    await this.tokens.delete(userId);
    await this.users.deleteById(userId);
  }

  private async tokensOf(user: UserRecord): Promise<FlickrTokens> {
    if (user.flickr?.state === 'reauthorization_required') throw new FlickrReauthorizationRequiredProblem();
    const tokens = user.flickr ? await this.tokens.get(user.user_id) : null;
    if (!tokens) throw new FlickrNotConnectedProblem();
    return tokens;
  }
}
