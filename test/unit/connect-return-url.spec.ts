import { loadSlice } from '../../src/config/env.validation';
import { AppConfig } from '../../src/config/app.config';
import { ConnectConfig } from '../../src/connect/connect.config';
import { OAuthConfig } from '../../src/oauth/oauth.config';
import { ConnectService } from '../../src/connect/connect.service';
import type { ConnectSessionRecord } from '../../src/connect/connect-session.schema';
import type { ConnectSessionRepository } from '../../src/connect/connect-session.repository';
import type { OAuthService } from '../../src/oauth/oauth.service';
import type { UserErasure } from '../../src/users/user-erasure';
import type { UserOwnershipService } from '../../src/users/user-ownership.service';

/** Return-URL rules of connect sessions; the repository and ownership are recorders (no database here). */
describe('connect sessions: return_url allowlist', () => {
  const build = (env: Record<string, string>) => {
    const inserted: ConnectSessionRecord[] = [];
    const service = new ConnectService(
      loadSlice(ConnectConfig, env),
      loadSlice(AppConfig, env),
      { insert: async (r: ConnectSessionRecord) => void inserted.push(r) } as unknown as ConnectSessionRepository,
      {} as OAuthService,
      { register: async () => ({}) } as unknown as UserOwnershipService,
      loadSlice(OAuthConfig, env),
      {} as UserErasure,
    );
    const create = (returnUrl?: string, mode?: 'oob' | 'callback') => service.create({ clientId: 'c1', userId: 'u1' }, { perms: 'read', returnUrl, mode }, 'https://gw.example');
    return { create, inserted };
  };
  const refused = async (promise: Promise<unknown>) => {
    const error = (await promise.then(() => undefined, (e: unknown) => e)) as { getStatus?: () => number; slug?: string } | undefined;
    expect(error?.getStatus?.()).toBe(400);
    return error;
  };

  it('accepts an https URL on the allowlist and stores it, with only a hash of the link token', async () => {
    const { create, inserted } = build({ CONNECT_RETURN_URL_ORIGINS: 'https://app.example.com, https://other.example' });
    const created = await create('https://app.example.com/done?x=1');
    expect(inserted[0].return_url).toBe('https://app.example.com/done?x=1');
    const token = created.connect_url.split('/').pop() as string;
    expect(created.connect_url).toBe(`https://gw.example/connect/${token}`);
    expect(JSON.stringify(inserted[0])).not.toContain(token);
  });

  it('refuses an origin off the allowlist, a lookalike host, credentials, and plain http off localhost', async () => {
    const { create, inserted } = build({ CONNECT_RETURN_URL_ORIGINS: 'https://app.example.com,http://localhost:3000' });
    await refused(create('https://evil.example/done'));
    await refused(create('https://app.example.com.evil.example/done'));
    await refused(create('https://user:pw@app.example.com/done'));
    await refused(create('http://app.example.com/done'));
    await refused(create('javascript:alert(1)'));
    expect(inserted).toHaveLength(0);
  });

  it('accepts http://localhost outside production only', async () => {
    const dev = build({ CONNECT_RETURN_URL_ORIGINS: 'http://localhost:3000' });
    await dev.create('http://localhost:3000/cb');
    expect(dev.inserted).toHaveLength(1);
    const prod = build({ NODE_ENV: 'production', CONNECT_RETURN_URL_ORIGINS: 'http://localhost:3000' });
    await refused(prod.create('http://localhost:3000/cb'));
    expect(prod.inserted).toHaveLength(0);
  });

  it('uses CONNECT_PUBLIC_URL for the link when set', async () => {
    const { create } = build({ CONNECT_PUBLIC_URL: 'https://gateway.example.com', CONNECT_RETURN_URL_ORIGINS: 'https://app.example.com' });
    expect((await create('https://app.example.com/')).connect_url).toMatch(/^https:\/\/gateway\.example\.com\/connect\/[A-Za-z0-9_-]{43}$/);
  });

  it('refuses callback mode at creation while OAUTH_CALLBACK_ENABLED is off', async () => {
    const off = build({});
    expect(await refused(off.create(undefined, 'callback'))).toMatchObject({ slug: 'oauth-callback-disabled' });
    expect(off.inserted).toHaveLength(0);
    const on = build({ OAUTH_CALLBACK_ENABLED: 'true', OAUTH_CALLBACK_URL: 'https://gw.example/v1/oauth/callback' });
    await on.create(undefined, 'callback');
    expect(on.inserted[0]).toMatchObject({ mode: 'callback', return_url: null });
  });

  it('production refuses plain-http origins and public URL', () => {
    const config = loadSlice(ConnectConfig, { CONNECT_PUBLIC_URL: 'http://gw.example', CONNECT_RETURN_URL_ORIGINS: 'http://localhost:3000,https://app.example.com' });
    expect(config.productionProblems()).toEqual([
      'CONNECT_PUBLIC_URL: must be https in production',
      'CONNECT_RETURN_URL_ORIGINS: every origin must be https in production',
    ]);
    expect(loadSlice(ConnectConfig, { CONNECT_RETURN_URL_ORIGINS: 'https://app.example.com' }).productionProblems()).toEqual([]);
  });
});
