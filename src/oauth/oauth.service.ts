import { Injectable } from '@nestjs/common';
import { NotFoundProblem, ProblemException } from '../common/problem/problem.exception';
import { FlickrApiService } from '../flickr/flickr-api.service';
import { FlickrClient } from '../flickr/flickr.client';
import { FlickrErrorProblem } from '../flickr/flickr.errors';
import { EnvelopeService } from '../kms/envelope.service';
import { UserConnectionService } from '../users/user-connection.service';
import { UserOwnershipService } from '../users/user-ownership.service';
import { OAuthConfig } from './oauth.config';
import { OAuthCallbackDisabledProblem, OAuthRequestInvalidProblem, OAuthVerifierRejectedProblem } from './oauth.errors';
import type { FlickrPerms, OAuthMode, OAuthPendingRecord } from './oauth-pending.schema';
import { OAuthClaimLock } from './oauth-claim.lock';
import { OAuthPendingRepository } from './oauth-pending.repository';

/** What POST /v1/oauth/start answers. */
export interface OAuthStarted {
  user_id: string;
  mode: OAuthMode;
  perms: FlickrPerms;
  /** The request token; OOB mode sends it back to /v1/oauth/verify with the PIN. */
  oauth_token: string;
  /** Where the user approves the connection on Flickr. */
  authorize_url: string;
  expires_at: Date;
}

/** What a completed connection answers. */
export interface OAuthConnected {
  user_id: string;
  status: 'connected';
  nsid: string;
  username: string;
}

const pendingContext = (requestToken: string) => ({ collection: 'oauth_pending', recordId: requestToken });

/**
 * The OAuth 1.0a connection flow with Flickr: request token → user approval →
 * verifier exchange. The request token secret is stored encrypted and bound to
 * its record; each request is exchanged at most once, within its lifetime.
 */
@Injectable()
export class OAuthService {
  constructor(
    private readonly config: OAuthConfig,
    private readonly pending: OAuthPendingRepository,
    private readonly lock: OAuthClaimLock,
    private readonly envelope: EnvelopeService,
    private readonly flickr: FlickrApiService,
    private readonly client: FlickrClient,
    private readonly ownership: UserOwnershipService,
    private readonly connections: UserConnectionService,
  ) {}

  /** Starts connecting `userId` (registered for `clientId` if new; 404 when another client owns it). */
  async start(clientId: string, userId: string, mode: OAuthMode, perms: FlickrPerms, returnUrl?: string): Promise<OAuthStarted> {
    if (mode === 'callback' && !this.config.OAUTH_CALLBACK_ENABLED) throw new OAuthCallbackDisabledProblem();
    await this.ownership.register(clientId, userId);
    const callback = mode === 'callback' ? (this.config.OAUTH_CALLBACK_URL as string) : 'oob';
    // Asking for a request token is safe to repeat, so it is retried like a read.
    const { requestToken, requestTokenSecret } = await this.flickr.upstream('read', () => this.client.requestToken(callback));
    const now = new Date();
    const expiresAt = new Date(now.getTime() + this.config.OAUTH_PENDING_TTL_S * 1000);
    await this.pending.insert({
      _id: requestToken,
      client_id: clientId,
      user_id: userId,
      mode,
      perms,
      enc: await this.envelope.encrypt('user-tokens', pendingContext(requestToken), { oauth_token_secret: requestTokenSecret }),
      return_url: mode === 'callback' ? (returnUrl ?? null) : null,
      state: 'pending',
      attempts: 0,
      created_at: now,
      expires_at: expiresAt,
    });
    return {
      user_id: userId,
      mode,
      perms,
      oauth_token: requestToken,
      authorize_url: this.client.authorizeUrl(requestToken, perms),
      expires_at: expiresAt,
    };
  }

  /** OOB mode: exchanges the PIN the user copied from Flickr. */
  async verify(clientId: string, userId: string, requestToken: string, verifier: string): Promise<OAuthConnected> {
    await this.ownership.assertOwned(clientId, userId);
    return this.exclusively(requestToken, async () => {
      const record = await this.pending.claim(requestToken, 'oob', new Date(), this.config.OAUTH_VERIFY_MAX_ATTEMPTS, { clientId, userId });
      if (!record) throw new OAuthRequestInvalidProblem();
      return this.exchange(record, verifier);
    });
  }

  /** Callback mode: Flickr redirected the user's browser here with the token and verifier. */
  async callback(requestToken: string, verifier: string): Promise<{ connected: OAuthConnected; returnUrl: string | null }> {
    if (!this.config.OAUTH_CALLBACK_ENABLED) throw new NotFoundProblem();
    return this.exclusively(requestToken, async () => {
      const record = await this.pending.claim(requestToken, 'callback', new Date(), this.config.OAUTH_VERIFY_MAX_ATTEMPTS);
      if (!record) throw new OAuthRequestInvalidProblem();
      return { connected: await this.exchange(record, verifier), returnUrl: record.return_url ?? null };
    });
  }

  /** Runs `work` while holding the request token's lock; a concurrent attempt is refused like a used request. */
  private async exclusively<T>(requestToken: string, work: () => Promise<T>): Promise<T> {
    const release = await this.lock.acquire(requestToken);
    if (!release) throw new OAuthRequestInvalidProblem();
    try {
      return await work();
    } finally {
      await release().catch(() => undefined);
    }
  }

  private async exchange(record: OAuthPendingRecord, verifier: string): Promise<OAuthConnected> {
    let account;
    try {
      const { oauth_token_secret: secret } = await this.envelope.decrypt(pendingContext(record._id), record.enc);
      // Never retried: a request token is exchanged once.
      account = await this.flickr.upstream('write', () => this.client.accessToken(record._id, secret, verifier));
    } catch (error) {
      await this.pending.release(record._id);
      throw this.rejection(error, record);
    }
    await this.pending.deleteById(record._id);
    await this.connections.connect(
      record.user_id,
      { nsid: account.nsid, username: account.username, fullname: account.fullname ?? '', perms: record.perms },
      { token: account.oauthToken, secret: account.oauthTokenSecret },
    );
    return { user_id: record.user_id, status: 'connected', nsid: account.nsid, username: account.username };
  }

  /** Flickr answers a wrong verifier with HTTP 401 (oauth_problem=token_rejected). */
  private rejection(error: unknown, record: OAuthPendingRecord): unknown {
    if (error instanceof FlickrErrorProblem && error.extensions.upstreamStatus === 401) {
      return new OAuthVerifierRejectedProblem(Math.max(0, this.config.OAUTH_VERIFY_MAX_ATTEMPTS - record.attempts));
    }
    return error instanceof ProblemException ? error : this.flickr.toProblem(error);
  }
}
