import { loadSlice } from '../../src/config/env.validation';
import { AppConfig } from '../../src/config/app.config';
import { ConnectConfig } from '../../src/connect/connect.config';
import { CONNECT_PAGE_CSP, connectPageCsp, overviewPage, resultPage } from '../../src/connect/connect.page';
import type { ConnectPageSession } from '../../src/connect/connect.service';
import { ConnectSettingsCache } from '../../src/connect/connect-settings.cache';
import type { ConnectSettingsChangeBus } from '../../src/connect/connect-settings-change.bus';
import type { ConnectSettingsChange, ConnectSettingsRepository } from '../../src/connect/connect-settings.repository';
import type { ConnectSettingsRecord } from '../../src/connect/connect-settings.schema';
import { ConnectSettingsService } from '../../src/connect/connect-settings.service';
import { allowlistOrigin, displayName, logoUrl } from '../../src/connect/connect-url.rules';
import type { SecurityEvents } from '../../src/security-events/security-events.service';

describe('connect settings: URL and text rules', () => {
  it.each([
    ['https://app.example.com', 'https://app.example.com'],
    ['https://App.Example.com/', 'https://app.example.com'],
    ['https://app.example.com:443', 'https://app.example.com'],
    ['https://app.example.com:8443', 'https://app.example.com:8443'],
    ['http://localhost:3000', 'http://localhost:3000'],
    ['http://127.0.0.1:8080', 'http://127.0.0.1:8080'],
    ['https://bücher.example', 'https://xn--bcher-kva.example'],
  ])('accepts the origin %s as %s', (raw, origin) => {
    expect(allowlistOrigin(raw, false)).toEqual({ ok: true, value: origin });
  });

  it.each([
    'https://app.example.com/path',
    'https://app.example.com/?',
    'https://app.example.com#x',
    'https://u:p@app.example.com',
    'http://app.example.com',
    'ftp://app.example.com',
    'javascript:alert(1)',
    'data:text/html,x',
    'app.example.com',
    '//app.example.com',
    '',
  ])('refuses %j as an allowlist origin', (raw) => {
    expect(allowlistOrigin(raw, false).ok).toBe(false);
  });

  it('refuses plain-http localhost origins and logos in production', () => {
    expect(allowlistOrigin('http://localhost:3000', true).ok).toBe(false);
    expect(logoUrl('http://localhost:3000/logo.png', true).ok).toBe(false);
    expect(logoUrl('https://cdn.example/logo.png', true)).toEqual({ ok: true, value: 'https://cdn.example/logo.png' });
  });

  it('a display name is 1-80 characters of plain text, trimmed; markup is allowed (it is escaped on output)', () => {
    expect(displayName('  Acme  ')).toEqual({ ok: true, value: 'Acme' });
    expect(displayName('<b>Acme</b>')).toEqual({ ok: true, value: '<b>Acme</b>' });
    expect(displayName('📷'.repeat(80)).ok).toBe(true);
    expect(displayName('x'.repeat(81)).ok).toBe(false);
    expect(displayName('   ').ok).toBe(false);
    expect(displayName('Acme\nPhotos').ok).toBe(false);
    expect(displayName('Acme\u202E').ok).toBe(false);
  });
});

describe('ConnectSettingsService', () => {
  const setup = (env: Record<string, string> = {}) => {
    const records = new Map<string, ConnectSettingsRecord>();
    const log = { reads: 0, published: [] as string[], events: [] as Array<Record<string, unknown>> };
    const repo = {
      findByClient: async (clientId: string) => {
        log.reads++;
        return records.get(clientId) ?? null;
      },
      update: async (clientId: string, change: ConnectSettingsChange, now: Date) => {
        const before = records.get(clientId) ?? { _id: clientId, display_name: null, logo_url: null, return_url_origins: [], created_at: now, updated_at: now };
        const after = { ...before, ...change, updated_at: now };
        records.set(clientId, after);
        return after;
      },
    } as unknown as ConnectSettingsRepository;
    const listeners: Array<(id: string) => void> = [];
    const bus = {
      onChange: (l: (id: string) => void) => listeners.push(l),
      onResubscribed: () => undefined,
      publish: async (id: string) => {
        log.published.push(id);
        listeners.forEach((l) => l(id));
      },
    } as unknown as ConnectSettingsChangeBus;
    const cache = new ConnectSettingsCache(loadSlice(ConnectConfig, env), bus);
    const audit = { record: async (e: Record<string, unknown>) => void log.events.push(e) } as unknown as SecurityEvents;
    const service = new ConnectSettingsService(repo, cache, bus, loadSlice(AppConfig, env), audit);
    return { service, log, records, listeners };
  };

  it('answers the defaults for a client without settings: its id as name, no logo, no origins', async () => {
    const { service } = setup();
    expect(await service.client('c1')).toEqual({ clientId: 'c1', name: 'c1', logoUrl: null, returnUrlOrigins: [] });
    expect(await service.get('c1')).toEqual({ client_id: 'c1', display_name: null, logo_url: null, return_url_origins: [], updated_at: null });
  });

  it('reads a client once while cached (a miss is cached too), and again after a change', async () => {
    const { service, log } = setup();
    await Promise.all([service.client('c1'), service.client('c1'), service.client('c1')]);
    await service.client('c1');
    expect(log.reads).toBe(1);
    await service.put('c1', { return_url_origins: ['https://a.example'] }, 'admin-key:k1');
    expect(log.published).toEqual(['c1']);
    expect((await service.client('c1')).returnUrlOrigins).toEqual(['https://a.example']);
  });

  it("another replica's change (announced on the bus) drops this replica's copy", async () => {
    const { service, records, listeners } = setup();
    expect((await service.client('c1')).name).toBe('c1');
    records.set('c1', { _id: 'c1', display_name: 'Acme', logo_url: null, return_url_origins: [], created_at: new Date(), updated_at: new Date() });
    expect((await service.client('c1')).name).toBe('c1');
    listeners.forEach((l) => l('c1'));
    expect((await service.client('c1')).name).toBe('Acme');
  });

  it('with CONNECT_SETTINGS_CACHE_TTL_MS=0 it reads every time', async () => {
    const { service, log } = setup({ CONNECT_SETTINGS_CACHE_TTL_MS: '0' });
    await service.client('c1');
    await service.client('c1');
    expect(log.reads).toBe(2);
  });

  it('reports every invalid field at once and stores nothing', async () => {
    const { service, records, log } = setup();
    const error = await service
      .put('c1', { display_name: '', logo_url: 'http://cdn.example/x.png', return_url_origins: ['https://ok.example', 'https://bad.example/path'] }, 'a')
      .catch((e: unknown) => e as { slug: string; extensions: { errors: string[] } });
    expect(error).toMatchObject({ slug: 'validation-failed' });
    expect((error as { extensions: { errors: string[] } }).extensions.errors.map((e) => e.split(':')[0])).toEqual(['display_name', 'logo_url', 'return_url_origins[1]']);
    expect(records.size).toBe(0);
    expect(log.events).toHaveLength(0);
  });

  it('records a security event with the allowlist before and after', async () => {
    const { service, log } = setup();
    await service.put('c1', { return_url_origins: ['https://a.example'] }, 'admin-key:k1');
    await service.put('c1', { return_url_origins: ['https://b.example', 'https://B.example/'] }, 'admin-key:k1');
    expect(log.events[1]).toMatchObject({
      action: 'connect.settings.updated',
      actor: 'admin-key:k1',
      target: 'c1',
      details: { return_url_origins: ['https://b.example'], previous_return_url_origins: ['https://a.example'], changed: ['return_url_origins'] },
    });
  });
});

describe('connect page rendering', () => {
  const session = (client: Partial<ConnectPageSession['client']>): ConnectPageSession =>
    ({
      _id: 'h',
      session_id: 'cs_x',
      client_id: 'c1',
      user_id: 'u1',
      perms: 'read',
      mode: 'oob',
      return_url: 'https://app.example.com/done',
      state: 'open',
      client: { clientId: 'c1', name: 'c1', logoUrl: null, returnUrlOrigins: ['https://app.example.com'], ...client },
    }) as unknown as ConnectPageSession;

  it('escapes the display name everywhere it appears', () => {
    const html = overviewPage(session({ name: '</title><script>x()</script>"\'&' }), 'tok');
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('</title><');
    expect(html).toContain('&lt;/title&gt;&lt;script&gt;x()&lt;/script&gt;&quot;&#39;&amp;');
  });

  it("adds exactly the logo's origin to img-src, and nothing without a logo", () => {
    expect(connectPageCsp(null)).toBe(CONNECT_PAGE_CSP);
    expect(connectPageCsp(session({}))).toBe(CONNECT_PAGE_CSP);
    const csp = connectPageCsp(session({ logoUrl: 'https://cdn.example:8443/brand/logo.png?v=2' }));
    expect(csp).toBe("default-src 'none'; style-src 'self'; img-src 'self' https://cdn.example:8443; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
  });

  it('the final page refreshes to the return target after 5 s, with the link kept; without a target neither', () => {
    const target = 'https://app.example.com/done?status=failed&error=attempts_exhausted&user_id=u1';
    const html = resultPage(session({}), { status: 'failed', error: 'attempts_exhausted' }, target);
    expect(html).toContain('<meta http-equiv="refresh" content="5;url=https://app.example.com/done?status=failed&amp;error=attempts_exhausted&amp;user_id=u1">');
    expect(html).toContain('id="return" href="https://app.example.com/done?status=failed&amp;error=attempts_exhausted&amp;user_id=u1"');
    expect(html).toContain('Too many codes were not accepted by Flickr.');
    const none = resultPage(session({}), { status: 'connected' }, null);
    expect(none).not.toContain('http-equiv="refresh"');
    expect(none).toContain('You can close this window.');
  });
});
