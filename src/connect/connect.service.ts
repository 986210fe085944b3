import { createHash, randomBytes } from 'node:crypto';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { AppConfig } from '../config/app.config';
import { NotFoundProblem, ProblemException } from '../common/problem/problem.exception';
import { OAuthConfig } from '../oauth/oauth.config';
import { OAuthService } from '../oauth/oauth.service';
import { OAuthCallbackDisabledProblem, OAuthRequestInvalidProblem, OAuthVerifierRejectedProblem } from '../oauth/oauth.errors';
import type { FlickrPerms, OAuthMode } from '../oauth/oauth-pending.schema';
import type { ScopedUser } from '../users/user.identity';
import { UserErasure } from '../users/user-erasure';
import { UserOwnershipService } from '../users/user-ownership.service';
import { ConnectConfig } from './connect.config';
import { ConnectReturnUrlNotAllowedProblem } from './connect.errors';
import { type ConnectClient, ConnectSettingsService } from './connect-settings.service';
import { returnUrl as returnUrlRule } from './connect-url.rules';
import type { ConnectSessionRecord } from './connect-session.schema';
import { ConnectSessionRepository } from './connect-session.repository';

/** What POST /v1/connect-sessions answers. */
export interface ConnectSessionCreated {
  session_id: string;
  connect_url: string;
  expires_at: Date;
}

/** What GET /v1/connect-sessions/:id answers (never a token). */
export interface ConnectSessionView {
  session_id: string;
  user_id: string;
  perms: FlickrPerms;
  mode: OAuthMode;
  status: ConnectSessionRecord['state'];
  return_url: string | null;
  expires_at: Date;
}

/**
 * Why a session failed, as the return URL's `error` parameter: `cancelled` (the user chose Cancel),
 * `attempts_exhausted` (too many wrong PINs), `not_confirmed` (Flickr did not confirm: the request
 * expired or was refused, or the approval came back in another browser).
 */
export type ConnectErrorCode = 'cancelled' | 'attempts_exhausted' | 'not_confirmed';

/** How a session ended. */
export type ConnectOutcome = { status: 'connected' } | { status: 'failed'; error: ConnectErrorCode };

/** The outcome of one PIN attempt on the page. */
export type PinOutcome = { kind: 'connected' } | { kind: 'retry'; attemptsLeft: number } | { kind: 'failed'; error: ConnectErrorCode };

/** A usable session with what the page shows of its client (name, logo, current return-URL allowlist). */
export type ConnectPageSession = ConnectSessionRecord & { client: ConnectClient };

export const CONNECT_DEFAULT_TTL_S = 900;
export const CONNECT_MAX_TTL_S = 1800;
/** The shape of a token we hand out (32 random bytes, base64url); anything else is refused without a lookup. */
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export const hashConnectToken = (token: string) => createHash('sha256').update(token).digest('base64url');

/**
 * Hosted connect sessions: a one-time link a client hands its end user, which walks them through
 * the gateway's own OAuth flow (src/oauth) and ends on the return URL the client set at creation.
 */
@Injectable()
export class ConnectService implements OnModuleInit {
  constructor(
    private readonly config: ConnectConfig,
    private readonly app: AppConfig,
    private readonly sessions: ConnectSessionRepository,
    private readonly oauth: OAuthService,
    private readonly ownership: UserOwnershipService,
    private readonly oauthConfig: OAuthConfig,
    private readonly erasure: UserErasure,
    private readonly settings: ConnectSettingsService,
  ) {}

  onModuleInit(): void {
    // Erasing a user drops its connect sessions: a link sent earlier can no longer connect anything.
    this.erasure.register({ name: 'connect-sessions', eraseUser: async (user) => void (await this.sessions.deleteByUser(user)) });
  }

  /** Creates a session for the scoped user (registered if new); `requestOrigin` is used when CONNECT_PUBLIC_URL is unset. */
  async create(
    user: ScopedUser,
    input: { perms: FlickrPerms; mode?: OAuthMode; returnUrl?: string; expiresIn?: number },
    requestOrigin: string,
  ): Promise<ConnectSessionCreated> {
    // Refused now rather than on the page, where the end user could do nothing about it.
    if (input.mode === 'callback' && !this.oauthConfig.OAUTH_CALLBACK_ENABLED) throw new OAuthCallbackDisabledProblem();
    const returnUrl = input.returnUrl === undefined ? null : await this.checkReturnUrl(user.clientId, input.returnUrl);
    await this.ownership.register(user);
    const token = randomBytes(32).toString('base64url');
    const now = new Date();
    const expiresAt = new Date(now.getTime() + (input.expiresIn ?? CONNECT_DEFAULT_TTL_S) * 1000);
    const sessionId = `cs_${randomBytes(16).toString('hex')}`;
    await this.sessions.insert({
      _id: hashConnectToken(token),
      session_id: sessionId,
      client_id: user.clientId,
      user_id: user.userId,
      perms: input.perms,
      mode: input.mode ?? 'oob',
      return_url: returnUrl,
      state: 'open',
      oauth_token: null,
      authorize_url: null,
      created_at: now,
      expires_at: expiresAt,
      purge_at: new Date(expiresAt.getTime() + 86_400_000),
    });
    return { session_id: sessionId, connect_url: `${this.publicOrigin(requestOrigin)}/connect/${token}`, expires_at: expiresAt };
  }

  /** A session of the client, by its public id. */
  async view(clientId: string, sessionId: string): Promise<ConnectSessionView> {
    const s = await this.sessions.findBySessionId(clientId, sessionId);
    if (!s) throw new NotFoundProblem();
    const status = s.state !== 'connected' && s.state !== 'failed' && s.expires_at.getTime() <= Date.now() ? 'failed' : s.state;
    return { session_id: s.session_id, user_id: s.user_id, perms: s.perms, mode: s.mode, status, return_url: s.return_url, expires_at: s.expires_at };
  }

  /** The usable (unexpired, unfinished) session a link token opens, with its client's page settings, or null. */
  async open(token: string): Promise<ConnectPageSession | null> {
    if (!TOKEN_PATTERN.test(token)) return null;
    return this.withClient(await this.sessions.findUsable(hashConnectToken(token), new Date()));
  }

  /**
   * Starts (or restarts) the Flickr step: a new request token through the OAuth service. Callback mode
   * also answers the one-time state, which the page keeps in the browser (a cookie), never in the database.
   */
  async start(session: ConnectSessionRecord, requestOrigin: string): Promise<{ authorizeUrl: string; oauthToken: string; state?: string }> {
    const returnTo = session.mode === 'callback' ? `${this.publicOrigin(requestOrigin)}/connect/callback` : undefined;
    const started = await this.oauth.start({ clientId: session.client_id, userId: session.user_id }, session.mode, session.perms, returnTo);
    if (!(await this.sessions.markStarted(session._id, started.oauth_token, started.authorize_url, new Date()))) throw new OAuthRequestInvalidProblem();
    return { authorizeUrl: started.authorize_url, oauthToken: started.oauth_token, state: started.state };
  }

  /** PIN mode: one attempt with the PIN the user typed. */
  async submitPin(session: ConnectSessionRecord, pin: string): Promise<PinOutcome> {
    if (session.mode !== 'oob' || session.state !== 'started' || !session.oauth_token) return { kind: 'failed', error: 'not_confirmed' };
    try {
      await this.oauth.verify({ clientId: session.client_id, userId: session.user_id }, session.oauth_token, pin);
    } catch (error) {
      if (error instanceof OAuthVerifierRejectedProblem) {
        const attemptsLeft = Number(error.extensions.attemptsLeft ?? 0);
        if (attemptsLeft > 0) return { kind: 'retry', attemptsLeft };
        await this.sessions.finish(session._id, 'failed');
        return { kind: 'failed', error: 'attempts_exhausted' };
      }
      if (!(error instanceof OAuthRequestInvalidProblem)) throw error;
      await this.sessions.finish(session._id, 'failed');
      return { kind: 'failed', error: 'not_confirmed' };
    }
    await this.sessions.finish(session._id, 'connected');
    return { kind: 'connected' };
  }

  /** Callback mode: Flickr approved request token `oauthToken`; completes with the state the browser kept. */
  async completeCallback(oauthToken: string, state: string | undefined): Promise<{ session: ConnectPageSession | null; connected: boolean }> {
    const session = await this.withClient(await this.sessions.findStartedByRequestToken(oauthToken, new Date()));
    if (!session || session.mode !== 'callback') return { session: null, connected: false };
    try {
      if (!state) throw new OAuthRequestInvalidProblem();
      await this.oauth.complete({ clientId: session.client_id, userId: session.user_id }, oauthToken, state);
    } catch (error) {
      if (!(error instanceof ProblemException) || error.getStatus() >= 500) throw error;
      await this.sessions.finish(session._id, 'failed');
      return { session, connected: false };
    }
    await this.sessions.finish(session._id, 'connected');
    return { session, connected: true };
  }

  /** Ends a session as failed (the user cancelled, or the attempts ran out). */
  async fail(session: ConnectSessionRecord): Promise<void> {
    await this.sessions.finish(session._id, 'failed');
  }

  /**
   * Where the browser goes at the end: the stored return URL with the outcome (`status`, `error` on
   * failure, `user_id`), or null without one. The stored URL must still be on the client's allowlist:
   * an origin the admin has removed since the session was created is not redirected to.
   */
  static returnTarget(session: ConnectPageSession, outcome: ConnectOutcome): string | null {
    if (!session.return_url) return null;
    const target = new URL(session.return_url);
    if (!session.client.returnUrlOrigins.includes(target.origin)) return null;
    target.searchParams.set('status', outcome.status);
    if (outcome.status === 'failed') target.searchParams.set('error', outcome.error);
    target.searchParams.set('user_id', session.user_id);
    return target.href;
  }

  private async withClient(session: ConnectSessionRecord | null): Promise<ConnectPageSession | null> {
    return session && { ...session, client: await this.settings.client(session.client_id) };
  }

  private publicOrigin(requestOrigin: string): string {
    return this.config.CONNECT_PUBLIC_URL ?? requestOrigin;
  }

  /** The return URL checked against the creating client's own allowlist (another client's origins do not count). */
  private async checkReturnUrl(clientId: string, raw: string): Promise<string> {
    const { returnUrlOrigins } = await this.settings.client(clientId);
    const checked = returnUrlRule(raw, returnUrlOrigins, this.app.NODE_ENV === 'production');
    if (!checked.ok) throw new ConnectReturnUrlNotAllowedProblem(checked.reason);
    return checked.value;
  }
}
