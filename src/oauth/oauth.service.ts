import { createHash, randomBytes } from 'node:crypto';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { NotFoundProblem, ProblemException, ValidationProblem } from '../common/problem/problem.exception';
import { FlickrApiService } from '../flickr/flickr-api.service';
import { FlickrAppResolver } from '../flickr/flickr-app.resolver';
import { FlickrClient } from '../flickr/flickr.client';
import { FlickrErrorProblem } from '../flickr/flickr.errors';
import { EnvelopeService } from '../kms/envelope.service';
import type { ScopedUser } from '../users/user.identity';
import { DEFAULT_FLICKR_APP_ID, UserConnectionService } from '../users/user-connection.service';
import { UserErasure } from '../users/user-erasure';
import { UserOwnershipService } from '../users/user-ownership.service';
import { OAuthConfig } from './oauth.config';
import { OAuthCallbackDisabledProblem, OAuthRequestInvalidProblem, OAuthVerifierRejectedProblem } from './oauth.errors';
import type { FlickrPerms, OAuthMode, OAuthPendingRecord, OAuthPendingState } from './oauth-pending.schema';
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
  /**
   * Callback mode only: a one-time secret the client keeps in the end user's
   * session and presents to POST /v1/oauth/complete; without it the approval
   * connects nothing (binds the flow to the browser that started it).
   */
  state?: string;
  expires_at: Date;
}

/** Where the callback sends the browser: the client's return URL, with the request token to complete. */
export interface OAuthApproved {
  user_id: string;
  status: 'approved';
  oauth_token: string;
  return_url: string;
}

/** What a completed connection answers. */
export interface OAuthConnected {
  user_id: string;
  status: 'connected';
  nsid: string;
  username: string;
}

const pendingContext = (requestToken: string) => ({ collection: 'oauth_pending', recordId: requestToken });
const verifierContext = (requestToken: string) => ({ collection: 'oauth_pending.verifier', recordId: requestToken });
const stateHashOf = (state: string) => createHash('sha256').update(state).digest('base64url');
/** The shape of a state we hand out (32 random bytes, base64url); anything else is refused without a lookup. */
const STATE_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/**
 * The OAuth 1.0a connection flow with Flickr: request token → user approval →
 * verifier exchange. The request token secret is stored encrypted and bound to
 * its record; each request is exchanged at most once, within its lifetime.
 */
@Injectable()
export class OAuthService implements OnModuleInit {
  constructor(
    private readonly config: OAuthConfig,
    private readonly pending: OAuthPendingRepository,
    private readonly lock: OAuthClaimLock,
    private readonly envelope: EnvelopeService,
    private readonly flickr: FlickrApiService,
    private readonly client: FlickrClient,
    private readonly ownership: UserOwnershipService,
    private readonly connections: UserConnectionService,
    private readonly erasure: UserErasure,
    private readonly apps: FlickrAppResolver,
  ) {}

  onModuleInit(): void {
    // Erasing a user drops its pending requests: an authorize link sent earlier can no longer connect anything.
    this.erasure.register({ name: 'oauth-pending', eraseUser: async (user) => void (await this.pending.deleteByUser(user)) });
  }

  /** Starts connecting the scoped user (registered if new). */
  async start(user: ScopedUser, mode: OAuthMode, perms: FlickrPerms, returnUrl?: string): Promise<OAuthStarted> {
    if (mode === 'callback' && !this.config.OAUTH_CALLBACK_ENABLED) throw new OAuthCallbackDisabledProblem();
    if (mode === 'callback' && !returnUrl) throw new ValidationProblem(['return_url: required in callback mode (the page of your app that completes the connection)']);
    await this.ownership.register(user);
    const state = mode === 'callback' ? randomBytes(32).toString('base64url') : undefined;
    const callback = mode === 'callback' ? (this.config.OAUTH_CALLBACK_URL as string) : 'oob';
    // The client's own Flickr app when it has one (its name on Flickr's authorize page, its budget), else the gateway's.
    const app = await this.apps.forClient(user.clientId);
    // Asking for a request token is safe to repeat, so it is retried like a read.
    const { requestToken, requestTokenSecret } = await this.flickr.upstream(
      'read',
      () => this.client.requestToken(callback, app.consumer),
      { clientId: user.clientId },
      { id: app.id, budgetPerWindow: app.budgetPerWindow },
    );
    const now = new Date();
    const expiresAt = new Date(now.getTime() + this.config.OAUTH_PENDING_TTL_S * 1000);
    await this.pending.insert({
      _id: requestToken,
      client_id: user.clientId,
      user_id: user.userId,
      mode,
      perms,
      app_id: app.id,
      enc: await this.envelope.encrypt('user-tokens', pendingContext(requestToken), { oauth_token_secret: requestTokenSecret }),
      return_url: mode === 'callback' ? (returnUrl ?? null) : null,
      state_hash: state ? stateHashOf(state) : null,
      verifier_enc: null,
      state: 'pending',
      attempts: 0,
      created_at: now,
      expires_at: expiresAt,
    });
    return {
      user_id: user.userId,
      mode,
      perms,
      oauth_token: requestToken,
      authorize_url: this.client.authorizeUrl(requestToken, perms),
      ...(state ? { state } : {}),
      expires_at: expiresAt,
    };
  }

  /** OOB mode: exchanges the PIN the user copied from Flickr; only for the scoped user that started the request. */
  async verify(user: ScopedUser, requestToken: string, verifier: string): Promise<OAuthConnected> {
    await this.ownership.assertOwned(user);
    return this.exclusively(requestToken, async () => {
      const record = await this.pending.claim(requestToken, 'oob', 'pending', new Date(), this.config.OAUTH_VERIFY_MAX_ATTEMPTS, user);
      if (!record) throw new OAuthRequestInvalidProblem();
      return this.exchange(record, verifier, 'pending');
    });
  }

  /**
   * Callback mode, step 1: Flickr redirected the end user's browser here with
   * the token and verifier. Nothing is connected yet: the verifier is kept
   * (encrypted) and the browser goes to the initiating client's return URL,
   * whose session holds the state that completes the connection.
   */
  async callback(requestToken: string, verifier: string): Promise<OAuthApproved> {
    if (!this.config.OAUTH_CALLBACK_ENABLED) throw new NotFoundProblem();
    return this.exclusively(requestToken, async () => {
      const verifierEnc = await this.envelope.encrypt('user-tokens', verifierContext(requestToken), { oauth_verifier: verifier });
      const record = await this.pending.approve(requestToken, verifierEnc, new Date());
      if (!record?.return_url) throw new OAuthRequestInvalidProblem();
      return { user_id: record.user_id, status: 'approved', oauth_token: requestToken, return_url: record.return_url };
    });
  }

  /**
   * Callback mode, step 2: the initiating client presents the one-time state
   * it was given at start (kept in the end user's session), for its own user.
   * Any other client, user or state is refused like an unknown request.
   */
  async complete(user: ScopedUser, requestToken: string, state: string): Promise<OAuthConnected> {
    if (!this.config.OAUTH_CALLBACK_ENABLED) throw new NotFoundProblem();
    await this.ownership.assertOwned(user);
    if (!STATE_PATTERN.test(state)) throw new OAuthRequestInvalidProblem();
    return this.exclusively(requestToken, async () => {
      const hash = stateHashOf(state);
      const record = await this.pending.claim(requestToken, 'callback', 'approved', new Date(), this.config.OAUTH_VERIFY_MAX_ATTEMPTS, user, hash);
      // The claim's filter matched the state's hash (of 256 random bits: nothing to learn from its timing).
      if (!record?.verifier_enc) throw new OAuthRequestInvalidProblem();
      const { oauth_verifier: verifier } = await this.envelope.decrypt(verifierContext(requestToken), record.verifier_enc);
      return this.exchange(record, verifier, 'approved');
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

  private async exchange(record: OAuthPendingRecord, verifier: string, releaseTo: OAuthPendingState): Promise<OAuthConnected> {
    let account;
    const app = await this.apps.forClient(record.client_id);
    if (app.id !== (record.app_id ?? DEFAULT_FLICKR_APP_ID)) {
      // The client switched Flickr apps since the start: the request token belongs to an app whose
      // credentials are gone (and its access token would be refused). The user starts again.
      await this.pending.deleteById(record._id);
      throw new OAuthRequestInvalidProblem();
    }
    try {
      const { oauth_token_secret: secret } = await this.envelope.decrypt(pendingContext(record._id), record.enc);
      // Never retried: a request token is exchanged once; signed with the app that obtained it.
      account = await this.flickr.upstream(
        'write',
        () => this.client.accessToken(record._id, secret, verifier, app.consumer),
        { clientId: record.client_id },
        { id: app.id, budgetPerWindow: app.budgetPerWindow },
      );
    } catch (error) {
      await this.pending.release(record._id, releaseTo);
      throw this.rejection(error, record);
    }
    await this.pending.deleteById(record._id);
    await this.connections.connect(
      { clientId: record.client_id, userId: record.user_id },
      { nsid: account.nsid, username: account.username, fullname: account.fullname ?? '', perms: record.perms, appId: app.id },
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
