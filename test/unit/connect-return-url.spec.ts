import { loadSlice } from '../../src/config/env.validation';
import { AppConfig } from '../../src/config/app.config';
import { ConnectConfig } from '../../src/connect/connect.config';
import { OAuthConfig } from '../../src/oauth/oauth.config';
import { type ConnectPageSession, ConnectService } from '../../src/connect/connect.service';
import type { ConnectSessionRecord } from '../../src/connect/connect-session.schema';
import type { ConnectSessionRepository } from '../../src/connect/connect-session.repository';
import type { ConnectSettingsService } from '../../src/connect/connect-settings.service';
import type { OAuthService } from '../../src/oauth/oauth.service';
import type { UserErasure } from '../../src/users/user-erasure';
import type { UserOwnershipService } from '../../src/users/user-ownership.service';

/**
 * Return-URL rules of connect sessions: each client's own allowlist (from its connect settings).
 * The repository, ownership and settings are recorders/stubs (no database here).
 */
describe('connect sessions: return_url allowlist per client', () => {
  const build = (env: Record<string, string>, allowlists: Record<string, string[]>) => {
    const inserted: ConnectSessionRecord[] = [];
    const settings = {
      client: async (clientId: string) => ({ clientId, name: clientId, logoUrl: null, returnUrlOrigins: allowlists[clientId] ?? [] }),
    } as unknown as ConnectSettingsService;
    const service = new ConnectService(
      loadSlice(ConnectConfig, env),
      loadSlice(AppConfig, env),
      { insert: async (r: ConnectSessionRecord) => void inserted.push(r) } as unknown as ConnectSessionRepository,
      {} as OAuthService,
      { register: async () => ({}) } as unknown as UserOwnershipService,
      loadSlice(OAuthConfig, env),
      {} as UserErasure,
      settings,
    );
    const create = (returnUrl?: string, mode?: 'oob' | 'callback', clientId = 'c1') =>
      service.create({ clientId, userId: 'u1' }, { perms: 'read', returnUrl, mode }, 'https://gw.example');
    return { create, inserted };
  };
  const refused = async (promise: Promise<unknown>) => {
    const error = (await promise.then(() => undefined, (e: unknown) => e)) as { getStatus?: () => number; slug?: string; message?: string } | undefined;
    expect(error?.getStatus?.()).toBe(400);
    return error;
  };

  it('accepts an https URL on the client\'s allowlist and stores it, with only a hash of the link token', async () => {
    const { create, inserted } = build({}, { c1: ['https://app.example.com', 'https://other.example'] });
    const created = await create('https://app.example.com/done?x=1');
    expect(inserted[0].return_url).toBe('https://app.example.com/done?x=1');
    const token = created.connect_url.split('/').pop() as string;
    expect(created.connect_url).toBe(`https://gw.example/connect/${token}`);
    expect(JSON.stringify(inserted[0])).not.toContain(token);
  });

  it("refuses an origin on another client's allowlist but not on the creating client's", async () => {
    const { create, inserted } = build({}, { c1: ['https://a.example'], c2: ['https://b.example'] });
    const error = await refused(create('https://b.example/done', undefined, 'c1'));
    expect(error).toMatchObject({ slug: 'connect-return-url-not-allowed' });
    expect(inserted).toHaveLength(0);
    await create('https://b.example/done', undefined, 'c2');
    expect(inserted.map((r) => [r.client_id, r.return_url])).toEqual([['c2', 'https://b.example/done']]);
  });

  it('refuses every return_url for a client without settings (the default allowlist is empty)', async () => {
    const { create, inserted } = build({}, { other: ['https://app.example.com'] });
    await refused(create('https://app.example.com/done'));
    await create(undefined);
    expect(inserted).toHaveLength(1);
  });

  it('refuses an origin off the allowlist, a lookalike host, credentials, and plain http off localhost', async () => {
    const { create, inserted } = build({}, { c1: ['https://app.example.com', 'http://localhost:3000'] });
    await refused(create('https://evil.example/done'));
    await refused(create('https://app.example.com.evil.example/done'));
    await refused(create('https://user:pw@app.example.com/done'));
    await refused(create('http://app.example.com/done'));
    await refused(create('javascript:alert(1)'));
    await refused(create('nope'));
    expect(inserted).toHaveLength(0);
  });

  it('accepts http://localhost outside production only', async () => {
    const dev = build({}, { c1: ['http://localhost:3000'] });
    await dev.create('http://localhost:3000/cb');
    expect(dev.inserted).toHaveLength(1);
    const prod = build({ NODE_ENV: 'production' }, { c1: ['http://localhost:3000'] });
    await refused(prod.create('http://localhost:3000/cb'));
    expect(prod.inserted).toHaveLength(0);
  });

  it('uses CONNECT_PUBLIC_URL for the link when set', async () => {
    const { create } = build({ CONNECT_PUBLIC_URL: 'https://gateway.example.com' }, { c1: ['https://app.example.com'] });
    expect((await create('https://app.example.com/')).connect_url).toMatch(/^https:\/\/gateway\.example\.com\/connect\/[A-Za-z0-9_-]{43}$/);
  });

  it('refuses callback mode at creation while OAUTH_CALLBACK_ENABLED is off', async () => {
    const off = build({}, {});
    expect(await refused(off.create(undefined, 'callback'))).toMatchObject({ slug: 'oauth-callback-disabled' });
    expect(off.inserted).toHaveLength(0);
    const on = build({ OAUTH_CALLBACK_ENABLED: 'true', OAUTH_CALLBACK_URL: 'https://gw.example/v1/oauth/callback' }, {});
    await on.create(undefined, 'callback');
    expect(on.inserted[0]).toMatchObject({ mode: 'callback', return_url: null });
  });

  it('production refuses a plain-http public URL', () => {
    expect(loadSlice(ConnectConfig, { CONNECT_PUBLIC_URL: 'http://gw.example' }).productionProblems()).toEqual(['CONNECT_PUBLIC_URL: must be https in production']);
    expect(loadSlice(ConnectConfig, { CONNECT_PUBLIC_URL: 'https://gw.example' }).productionProblems()).toEqual([]);
  });

  describe('the return target at the end', () => {
    const session = (returnUrl: string | null, origins: string[]): ConnectPageSession =>
      ({ user_id: 'u 1&x', return_url: returnUrl, client: { clientId: 'c1', name: 'c1', logoUrl: null, returnUrlOrigins: origins } }) as unknown as ConnectPageSession;

    it('adds status, error on failure, and user_id to the stored URL (keeping its own query)', () => {
      const s = session('https://app.example.com/done?from=connect', ['https://app.example.com']);
      expect(ConnectService.returnTarget(s, { status: 'connected' })).toBe('https://app.example.com/done?from=connect&status=connected&user_id=u+1%26x');
      expect(ConnectService.returnTarget(s, { status: 'failed', error: 'cancelled' })).toBe(
        'https://app.example.com/done?from=connect&status=failed&error=cancelled&user_id=u+1%26x',
      );
    });

    it('overrides outcome parameters the stored URL already carried', () => {
      const s = session('https://app.example.com/done?status=connected&user_id=someone-else', ['https://app.example.com']);
      expect(ConnectService.returnTarget(s, { status: 'failed', error: 'not_confirmed' })).toBe(
        'https://app.example.com/done?status=failed&user_id=u+1%26x&error=not_confirmed',
      );
    });

    it('is null without a return URL, and when the admin removed its origin since the session was created', () => {
      expect(ConnectService.returnTarget(session(null, ['https://app.example.com']), { status: 'connected' })).toBeNull();
      expect(ConnectService.returnTarget(session('https://app.example.com/done', ['https://other.example']), { status: 'connected' })).toBeNull();
    });
  });
});
