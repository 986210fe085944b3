import { createHash } from 'node:crypto';
import { Controller, Get, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Consumes } from '../common/http/content-type.guard';
import { Public } from '../common/http/route-access';
import { requestOrigin } from './connect.controller';
import { ProblemException } from '../common/problem/problem.exception';
import { CONNECT_CSS, connectPageCsp, invalidLinkPage, overviewPage, pinPage, resultPage, unavailablePage } from './connect.page';
import { type ConnectOutcome, type ConnectPageSession, ConnectService } from './connect.service';

const PIN_PATTERN = /^([0-9]{3})-?([0-9]{3})-?([0-9]{3})$/;
/** The cookie that keeps callback mode's one-time state in the browser that started (named per request token). */
const stateCookieName = (oauthToken: string) => `fgw_cs_${createHash('sha256').update(oauthToken).digest('hex').slice(0, 16)}`;

/**
 * The hosted connect page (HTML for browsers). Public: the link's one-time token is the credential.
 * It only ever uses what the session stored (return URL, user, perms), never the query string.
 */
@ApiExcludeController()
@Controller('connect')
@Public()
export class ConnectPageController {
  constructor(private readonly connect: ConnectService) {}

  @Get('assets/connect.css')
  css(@Res() reply: FastifyReply): void {
    void reply.header('content-type', 'text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(CONNECT_CSS);
  }

  /** Callback mode: /v1/oauth/callback sends the browser here once Flickr approved. */
  @Get('callback')
  async callback(@Query() query: Record<string, unknown>, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const oauthToken = typeof query.oauth_token === 'string' ? query.oauth_token : '';
    const cookie = stateCookieName(oauthToken);
    const state = cookieValue(request.headers.cookie, cookie);
    const { session, connected } = oauthToken ? await this.connect.completeCallback(oauthToken, state) : { session: null, connected: false };
    void reply.header('set-cookie', `${cookie}=; Path=/connect; Max-Age=0; HttpOnly; SameSite=Lax`);
    if (!session) return this.html(reply, 400, invalidLinkPage());
    this.result(reply, session, connected ? { status: 'connected' } : { status: 'failed', error: 'not_confirmed' });
  }

  @Get(':token')
  async overview(@Param('token') token: string, @Res() reply: FastifyReply): Promise<void> {
    const session = await this.connect.open(token);
    if (!session) return this.html(reply, 404, invalidLinkPage());
    this.html(reply, 200, overviewPage(session, token), session);
  }

  /** "Continue to Flickr": a fresh request token; callback mode goes straight to Flickr, PIN mode to the PIN page. */
  @Get(':token/start')
  async start(@Param('token') token: string, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const session = await this.connect.open(token);
    if (!session) return this.html(reply, 404, invalidLinkPage());
    let started;
    try {
      started = await this.connect.start(session, requestOrigin(request));
    } catch (error) {
      // A page, not problem+json: the person in front of it can only retry.
      if (error instanceof ProblemException) return this.html(reply, error.getStatus() >= 500 ? 503 : 400, unavailablePage(token));
      throw error;
    }
    if (started.state) {
      const secure = requestOrigin(request).startsWith('https:') ? '; Secure' : '';
      void reply.header('set-cookie', `${stateCookieName(started.oauthToken)}=${started.state}; Path=/connect; Max-Age=1800; HttpOnly; SameSite=Lax${secure}`);
      return this.redirect(reply, started.authorizeUrl);
    }
    this.redirect(reply, `/connect/${token}/pin`);
  }

  @Get(':token/pin')
  async pinForm(@Param('token') token: string, @Res() reply: FastifyReply): Promise<void> {
    const session = await this.connect.open(token);
    if (!session) return this.html(reply, 404, invalidLinkPage());
    if (session.mode !== 'oob' || session.state !== 'started') return this.redirect(reply, `/connect/${token}`);
    this.html(reply, 200, pinPage(session, token), session);
  }

  /** The PIN form posts as text/plain (`pin=...`), which needs no form parser and no script. */
  @Post(':token/pin')
  @Consumes('text/plain')
  async pin(@Param('token') token: string, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const session = await this.connect.open(token);
    if (!session) return this.html(reply, 404, invalidLinkPage());
    if (session.mode !== 'oob' || session.state !== 'started') return this.redirect(reply, `/connect/${token}`);
    const typed = fieldOf(request.body, 'pin').replace(/\s+/g, '');
    const match = PIN_PATTERN.exec(typed);
    if (!match) return this.html(reply, 400, pinPage(session, token, 'Enter the 9-digit code Flickr showed you, e.g. 123-456-789.'), session);
    let outcome;
    try {
      outcome = await this.connect.submitPin(session, `${match[1]}-${match[2]}-${match[3]}`);
    } catch (error) {
      if (error instanceof ProblemException) return this.html(reply, 503, pinPage(session, token, 'Flickr could not be reached. Try the same code again in a moment.'), session);
      throw error;
    }
    if (outcome.kind === 'retry') {
      const left = `${outcome.attemptsLeft} attempt${outcome.attemptsLeft === 1 ? '' : 's'} left`;
      return this.html(reply, 400, pinPage(session, token, `Flickr did not accept this code. Check it and try again (${left}).`), session);
    }
    this.result(reply, session, outcome.kind === 'connected' ? { status: 'connected' } : { status: 'failed', error: outcome.error });
  }

  @Get(':token/cancel')
  async cancel(@Param('token') token: string, @Res() reply: FastifyReply): Promise<void> {
    const session = await this.connect.open(token);
    if (!session) return this.html(reply, 404, invalidLinkPage());
    await this.connect.fail(session);
    this.result(reply, session, { status: 'failed', error: 'cancelled' }, 200);
  }

  /** The final page; it sends the browser on to the client's return URL (when it has one) by itself. */
  private result(reply: FastifyReply, session: ConnectPageSession, outcome: ConnectOutcome, status = outcome.status === 'connected' ? 200 : 400): void {
    this.html(reply, status, resultPage(session, outcome, ConnectService.returnTarget(session, outcome)), session);
  }

  /** A page; one that shows a session's client may show its logo, so its CSP allows exactly that logo's origin. */
  private html(reply: FastifyReply, status: number, body: string, session: ConnectPageSession | null = null): void {
    void reply
      .status(status)
      .header('content-type', 'text/html; charset=utf-8')
      .header('content-security-policy', connectPageCsp(session))
      .header('cache-control', 'no-store')
      .header('referrer-policy', 'no-referrer')
      .send(body);
  }

  private redirect(reply: FastifyReply, location: string): void {
    void reply.status(303).header('location', location).header('cache-control', 'no-store').header('referrer-policy', 'no-referrer').send();
  }
}

/** One field of a text/plain form body (`name=value` lines). */
function fieldOf(body: unknown, name: string): string {
  if (typeof body !== 'string') return '';
  for (const line of body.split(/\r?\n/)) {
    const eq = line.indexOf('=');
    if (eq > 0 && line.slice(0, eq) === name) return line.slice(eq + 1);
  }
  return '';
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return undefined;
}
