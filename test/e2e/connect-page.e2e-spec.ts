import { mkdirSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { getConnectionToken } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { FakeFlickr, REAL_FLICKR_ORIGINS } from '../../tools/sandbox-flickr/fake-flickr.server';
import { createTransitKeys, useOpenBao } from '../integration/kms-env';
import { AUTH_TEST_ENV, createApiKey } from '../support/factories/api-key.factory';
import { fakeFlickrEnv } from '../support/factories/flickr.factory';
import { startTestApp, type TestApp } from '../support/test-app';

const suffix = randomBytes(4).toString('hex');
const kmsEnv = useOpenBao(suffix);
/** Debian's chromium (scripts/chromium.sh installs it); puppeteer-core downloads no browser. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Screenshots of each page, as test artefacts (git-ignored). */
const SHOTS = join(__dirname, '..', '..', 'test-results', 'connect');
/** The client's logo (64×64 SVG), served by its own site. */
const LOGO_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64"><rect width="64" height="64" rx="12" fill="#ff0084"/>' +
  '<text x="32" y="44" font-size="36" font-family="sans-serif" text-anchor="middle" fill="#fff">A</text></svg>';
/** A display name an attacker might try: markup that would run if it were not escaped. */
const HOSTILE_NAME = `<script>document.title='pwned'</script><img src=x onerror=alert(1)>"'&`;

/**
 * The hosted connect page in a real browser: headless Debian chromium opens a connect_url, goes
 * through the fake Flickr's approval (which checks real OAuth signatures), and ends on the success
 * page and the client's return URL. Real FerretDB, Redis, OpenBao.
 */
describe('hosted connect page (real browser)', () => {
  let fake: FakeFlickr;
  let t: TestApp;
  let hop: Server;
  let returnSite: Server;
  let returnOrigin: string;
  /** Every request the client's site received (path with query, and headers). */
  const arrivals: Array<{ url: string; headers: IncomingHttpHeaders }> = [];
  let apiKey: string;
  let otherKey: string;
  let admin: string;
  let clientA: string;
  let clientB: string;
  let browser: Browser;
  let db: Connection;
  const json = { 'content-type': 'application/json' };

  const createSession = (body: Record<string, unknown>, key = apiKey) =>
    fetch(`${t.url}/v1/connect-sessions`, { method: 'POST', headers: { 'x-api-key': key, ...json }, body: JSON.stringify(body) });
  const session = async (body: Record<string, unknown>, key = apiKey) => {
    const res = await createSession(body, key);
    expect(res.status).toBe(201);
    return (await res.json()) as { connect_url: string; session_id: string; expires_at: string };
  };
  const userOf = async (userId: string, key = apiKey) =>
    (await fetch(`${t.url}/v1/users/${userId}`, { headers: { 'x-api-key': key } })).json() as Promise<{ flickr?: { state: string; nsid?: string } }>;
  const shot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  const heading = (page: Page) => page.$eval('h1', (h) => h.textContent ?? '');
  const putSettings = async (clientId: string, body: Record<string, unknown>) => {
    const res = await fetch(`${t.url}/admin/clients/${clientId}/connect-settings`, { method: 'PUT', headers: { 'x-api-key': admin, ...json }, body: JSON.stringify(body) });
    expect(res.status).toBe(200);
  };
  /**
   * Holds the tab's navigations to the client's site until `release()`: the final page's refresh fires
   * after 5 s, and the assertions and screenshot of that page must not race it on a loaded machine.
   * Nothing else is held, and nothing is clicked: once released, the refresh itself goes on.
   */
  const holdReturns = async (page: Page) => {
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    await page.setRequestInterception(true);
    page.on('request', (req) => {
      if (req.isNavigationRequest() && req.url().startsWith(returnOrigin)) void released.then(() => req.continue());
      else void req.continue();
    });
    return release;
  };
  /**
   * Waits until the browser has arrived, by itself, at the client's site on `path`: its server saw the
   * request and the tab shows it. No click: the final page's meta refresh takes it there.
   */
  const arrivedAt = async (page: Page, path: string) => {
    const there = () => arrivals.some((a) => a.url.startsWith(path)) && new URL(page.url()).origin === returnOrigin;
    // Polls for the navigation (bounded, so a page that never redirects fails here instead of hanging the run).
    for (let i = 0; i < 600 && !there(); i++) await new Promise((r) => setTimeout(r, 50));
    expect({ arrived: there(), at: page.url() }).toEqual({ arrived: true, at: expect.stringContaining(`${returnOrigin}${path}`) });
    const landed = new URL(page.url());
    expect(landed.pathname).toBe(path);
    expect(await heading(page)).toBe('client app');
    // The gateway's link (which carries the session's secret) is not sent along as Referer.
    expect(arrivals.find((a) => a.url.startsWith(path))?.headers.referer).toBeUndefined();
    return landed;
  };

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    fake = await FakeFlickr.start({ origins: REAL_FLICKR_ORIGINS });
    fake.addUser({ nsid: '12345678@N00', username: 'alice', fullname: 'Alice Example' });
    // The client's own site on 127.0.0.1: its return page (which records each arrival) and its logo.
    returnSite = createServer((req, res) => {
      if (req.url === '/logo.svg') return void res.writeHead(200, { 'content-type': 'image/svg+xml' }).end(LOGO_SVG);
      arrivals.push({ url: req.url ?? '', headers: req.headers });
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>client app</title><h1>client app</h1>');
    });
    await new Promise<void>((r) => returnSite.listen(0, '127.0.0.1', r));
    returnOrigin = `http://127.0.0.1:${(returnSite.address() as AddressInfo).port}`;
    // OAUTH_CALLBACK_URL must be known before the app (on a free port) starts: a hop that forwards the browser.
    hop = createServer((req, res) => res.writeHead(307, { location: `${t.url}${req.url}` }).end());
    await new Promise<void>((r) => hop.listen(0, '127.0.0.1', r));
    await createTransitKeys();
    t = await startTestApp({
      env: {
        ...kmsEnv,
        ...AUTH_TEST_ENV,
        ...fakeFlickrEnv(fake),
        OAUTH_CALLBACK_ENABLED: 'true',
        OAUTH_CALLBACK_URL: `http://127.0.0.1:${(hop.address() as AddressInfo).port}/v1/oauth/callback`,
        OAUTH_VERIFY_MAX_ATTEMPTS: '3',
      },
    });
    const a = await createApiKey(t.app);
    const b = await createApiKey(t.app);
    [apiKey, clientA, otherKey, clientB] = [a.api_key, a.client_id, b.api_key, b.client_id];
    admin = (await createApiKey(t.app, { role: 'admin', client_id: 'ops' })).api_key;
    // Client A: branded, and its site (the local server) on its own allowlist. Client B: another origin only.
    await putSettings(clientA, { display_name: 'Acme Photos', logo_url: `${returnOrigin}/logo.svg`, return_url_origins: [returnOrigin, 'https://app.example.com'] });
    await putSettings(clientB, { return_url_origins: ['https://b-only.example'] });
    db = t.app.get<Connection>(getConnectionToken());
    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      // As root, without the sandbox; no background traffic to Google (the network is closed).
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await fake?.close();
    hop?.close();
    returnSite?.close();
  });

  it('PIN mode: overview → Flickr approval → wrong PIN, then the right one → success → arrives at the return URL by itself; the user is connected', async () => {
    const created = await session({ user_id: 'pin-user', perms: 'write', return_url: `${returnOrigin}/done?from=connect` });
    expect(created.session_id).toMatch(/^cs_[0-9a-f]{32}$/);
    const page = await browser.newPage();
    const release = await holdReturns(page);
    const overview = await page.goto(created.connect_url);
    expect(overview?.status()).toBe(200);
    // Strict CSP: no inline scripts or styles.
    expect(overview?.headers()['content-security-policy']).toContain("style-src 'self'");
    expect(overview?.headers()['content-security-policy']).not.toContain('unsafe-inline');
    expect(await page.$eval('html', (h) => h.lang)).toBe('en');
    // Branding from the admin API: the client's display name and its logo (allowed by this page's CSP only).
    expect(await heading(page)).toBe('Acme Photos wants to connect your Flickr account');
    expect(await page.$eval('#client', (e) => e.textContent)).toBe('Acme Photos');
    expect(overview?.headers()['content-security-policy']).toContain(`img-src 'self' ${returnOrigin};`);
    await page.waitForFunction("document.querySelector('#logo')?.complete === true");
    expect(await page.evaluate("[document.querySelector('#logo').naturalWidth, document.querySelector('#logo').getAttribute('alt')]")).toEqual([64, '']);
    expect(await page.$eval('#user', (e) => e.textContent)).toBe('pin-user');
    expect(await page.$eval('#perms', (e) => e.textContent)).toContain('write');
    // The stylesheet from our origin applies (the CSP allows it, and nothing inline).
    expect(await page.evaluate("getComputedStyle(document.querySelector('#continue')).backgroundColor")).toBe('rgb(0, 99, 220)');
    await shot(page, '1-overview');

    await Promise.all([page.waitForNavigation(), page.click('#continue')]);
    expect(await heading(page)).toBe('Enter the code from Flickr');
    expect(await page.$eval('label[for=pin]', (l) => l.textContent)).toBe('Code from Flickr');
    await shot(page, '2-pin-form');

    // Flickr's approval page, in its own tab (as the link's target=_blank opens it).
    const authorizeUrl = await page.$eval('#authorize', (a) => a.getAttribute('href') ?? '');
    expect(authorizeUrl.startsWith(`${fake.url}/services/oauth/authorize?oauth_token=`)).toBe(true);
    const flickr = await browser.newPage();
    await flickr.goto(authorizeUrl);
    await shot(flickr, '3-flickr-authorize');
    const approve = new URL(authorizeUrl);
    approve.searchParams.set('fake_user', '12345678@N00');
    await flickr.goto(approve.href);
    const pin = await flickr.$eval('.code', (e) => e.textContent ?? '');
    expect(pin).toMatch(/^\d{3}-\d{3}-\d{3}$/);
    await shot(flickr, '4-flickr-pin');
    await flickr.close();

    // A malformed code: a clear error, nothing sent to Flickr.
    await page.type('#pin', '12-34');
    await Promise.all([page.waitForNavigation(), page.click('#submit')]);
    expect(await page.$eval('#pin-error', (e) => e.textContent)).toContain('9-digit code');
    expect(await page.$eval('#pin', (e) => e.getAttribute('aria-invalid'))).toBe('true');
    await shot(page, '5-pin-malformed');

    // A wrong code: Flickr refuses it, the page says how many attempts are left.
    const wrong = pin === '111-111-111' ? '222222222' : '111111111';
    await page.type('#pin', wrong);
    await Promise.all([page.waitForNavigation(), page.click('#submit')]);
    expect(await page.$eval('#pin-error', (e) => e.textContent)).toContain('2 attempts left');
    await shot(page, '6-pin-rejected');

    // The right code, typed as digits only.
    await page.type('#pin', pin.replace(/-/g, ''));
    await Promise.all([page.waitForNavigation(), page.click('#submit')]);
    expect(await heading(page)).toBe('Your Flickr account is connected');
    const target = `${returnOrigin}/done?from=connect&status=connected&user_id=pin-user`;
    expect(await page.$eval('#return', (a) => a.getAttribute('href'))).toBe(target);
    expect(await page.$eval('meta[http-equiv=refresh]', (m) => m.getAttribute('content'))).toBe(`5;url=${target}`);
    expect(await page.$eval('#redirect-note', (e) => e.textContent)).toBe('Taking you back to Acme Photos in 5 seconds.');
    await shot(page, '7-success');
    expect(await userOf('pin-user')).toMatchObject({ flickr: { state: 'connected', nsid: '12345678@N00' } });
    // Bound to its client: the other client has no such user, connected or not.
    expect((await fetch(`${t.url}/v1/users/pin-user`, { headers: { 'x-api-key': otherKey } })).status).toBe(404);

    // Nothing clicked: the success page sends the browser on to the client's return URL with the outcome.
    release();
    const landed = await arrivedAt(page, '/done');
    expect(Object.fromEntries(landed.searchParams)).toEqual({ from: 'connect', status: 'connected', user_id: 'pin-user' });

    // Single use: the link is spent.
    const again = await page.goto(created.connect_url);
    expect(again?.status()).toBe(404);
    expect(await heading(page)).toBe('This link cannot be used');
    await shot(page, '8-reused');
    const status = await fetch(`${t.url}/v1/connect-sessions/${created.session_id}`, { headers: { 'x-api-key': apiKey } });
    expect(await status.json()).toMatchObject({ session_id: created.session_id, user_id: 'pin-user', status: 'connected' });
    await page.close();
  });

  it('callback mode: overview → Flickr approval → back through /v1/oauth/callback → success → arrives at the return URL by itself', async () => {
    const created = await session({ user_id: 'cb-user', perms: 'read', mode: 'callback', return_url: `${returnOrigin}/back` });
    const page = await browser.newPage();
    const release = await holdReturns(page);
    await page.goto(created.connect_url);
    await Promise.all([page.waitForNavigation(), page.click('#continue')]);
    // Now on Flickr's approval page; the person approves.
    expect(page.url().startsWith(`${fake.url}/services/oauth/authorize?`)).toBe(true);
    await shot(page, '9-callback-flickr-authorize');
    const approve = new URL(page.url());
    approve.searchParams.set('fake_user', '12345678@N00');
    await page.goto(approve.href);
    expect(new URL(page.url()).pathname).toBe('/connect/callback');
    const callbackUrl = page.url();
    expect(await heading(page)).toBe('Your Flickr account is connected');
    await shot(page, '10-callback-success');
    expect(await page.$eval('#return', (a) => a.getAttribute('href'))).toBe(`${returnOrigin}/back?status=connected&user_id=cb-user`);
    expect(await userOf('cb-user')).toMatchObject({ flickr: { state: 'connected', nsid: '12345678@N00' } });
    release();
    const landed = await arrivedAt(page, '/back');
    expect(Object.fromEntries(landed.searchParams)).toEqual({ status: 'connected', user_id: 'cb-user' });
    // Single use in callback mode too: neither Flickr's callback nor the link works a second time.
    expect((await page.goto(callbackUrl))?.status()).toBe(400);
    expect(await heading(page)).toBe('This link cannot be used');
    expect((await page.goto(created.connect_url))?.status()).toBe(404);
    await page.close();
  });

  it('callback mode without the browser that started it (no state cookie) connects nothing', async () => {
    const created = await session({ user_id: 'cb-stranger', perms: 'read', mode: 'callback' });
    const page = await browser.newPage();
    await page.goto(created.connect_url);
    await Promise.all([page.waitForNavigation(), page.click('#continue')]);
    const approve = new URL(page.url());
    approve.searchParams.set('fake_user', '12345678@N00');
    // Another browser (a fresh context: no cookies) follows the approval.
    const other = await browser.createBrowserContext();
    const stranger = await other.newPage();
    await stranger.goto(approve.href);
    expect(await heading(stranger)).toBe('Your Flickr account was not connected');
    await other.close();
    await page.close();
    expect((await userOf('cb-stranger')).flickr?.state).not.toBe('connected');
  });

  it('an expired session is refused with the error page', async () => {
    const created = await session({ user_id: 'late-user', perms: 'read' });
    const tokenHash = (await db.collection('connect_sessions').findOne({ session_id: created.session_id }))?._id;
    expect(tokenHash).toBeDefined();
    await db.collection('connect_sessions').updateOne({ _id: tokenHash }, { $set: { expires_at: new Date(Date.now() - 1000) } });
    const page = await browser.newPage();
    const res = await page.goto(created.connect_url);
    expect(res?.status()).toBe(404);
    expect(await heading(page)).toBe('This link cannot be used');
    await shot(page, '11-expired');
    expect((await page.goto(`${created.connect_url}/start`))?.status()).toBe(404);
    await page.close();
  });

  it("another client's session is not visible, and its connection lands on its own client only", async () => {
    const created = await session({ user_id: 'shared-name', perms: 'read' });
    const peek = await fetch(`${t.url}/v1/connect-sessions/${created.session_id}`, { headers: { 'x-api-key': otherKey } });
    expect(peek.status).toBe(404);
    // The other client's user of the same name is untouched by this session.
    const theirs = await session({ user_id: 'shared-name', perms: 'read' }, otherKey);
    expect(theirs.session_id).not.toBe(created.session_id);
    const mine = await fetch(`${t.url}/v1/connect-sessions/${theirs.session_id}`, { headers: { 'x-api-key': apiKey } });
    expect(mine.status).toBe(404);
  });

  it("erasing the user drops its sessions: the link no longer works", async () => {
    const created = await session({ user_id: 'erased-user', perms: 'read' });
    expect((await fetch(created.connect_url)).status).toBe(200);
    expect((await fetch(`${t.url}/v1/users/erased-user`, { method: 'DELETE', headers: { 'x-api-key': apiKey } })).status).toBe(204);
    const after = await fetch(created.connect_url);
    expect(after.status).toBe(404);
    expect(await after.text()).toContain('This link cannot be used');
  });

  it('a return_url in the query string is ignored: a cancelled session returns to the stored one with status=failed&error=cancelled', async () => {
    const created = await session({ user_id: 'cancel-user', perms: 'read', return_url: `${returnOrigin}/ok` });
    const page = await browser.newPage();
    const release = await holdReturns(page);
    await page.goto(`${created.connect_url}?return_url=${encodeURIComponent('https://evil.example/steal')}`);
    await Promise.all([page.waitForNavigation(), page.click('#continue')]);
    await Promise.all([page.waitForNavigation(), page.click('#cancel')]);
    expect(await heading(page)).toBe('Your Flickr account was not connected');
    const back = await page.$eval('#return', (a) => a.getAttribute('href') ?? '');
    expect(back).toBe(`${returnOrigin}/ok?status=failed&error=cancelled&user_id=cancel-user`);
    await shot(page, '12-cancelled');
    release();
    const landed = await arrivedAt(page, '/ok');
    expect(Object.fromEntries(landed.searchParams)).toEqual({ status: 'failed', error: 'cancelled', user_id: 'cancel-user' });
    await page.close();
  });

  it("a return_url on another client's allowlist is refused for this client", async () => {
    const forA = await createSession({ user_id: 'tamper-user', perms: 'read', return_url: 'https://b-only.example/done' });
    expect(forA.status).toBe(400);
    expect(await forA.json()).toMatchObject({ type: 'urn:flickr-gateway:problem:connect-return-url-not-allowed' });
    expect((await createSession({ user_id: 'tamper-user', perms: 'read', return_url: 'https://b-only.example/done' }, otherKey)).status).toBe(201);
    // And the other way round: A's own site is not B's.
    expect((await createSession({ user_id: 'tamper-user', perms: 'read', return_url: `${returnOrigin}/done` }, otherKey)).status).toBe(400);
  });

  it('an origin the admin removed after the session was created is not returned to: no redirect, no link', async () => {
    const created = await session({ user_id: 'removed-origin', perms: 'read', return_url: 'https://app.example.com/ok' });
    await putSettings(clientA, { return_url_origins: [returnOrigin] });
    try {
      const page = await browser.newPage();
      await page.goto(created.connect_url);
      await Promise.all([page.waitForNavigation(), page.click('#continue')]);
      await Promise.all([page.waitForNavigation(), page.click('#cancel')]);
      expect(await heading(page)).toBe('Your Flickr account was not connected');
      expect(await page.$$('meta[http-equiv=refresh]')).toHaveLength(0);
      expect(await page.$$('#return')).toHaveLength(0);
      expect(await page.$eval('main', (m) => m.textContent)).toContain('You can close this window.');
      await page.close();
    } finally {
      await putSettings(clientA, { return_url_origins: [returnOrigin, 'https://app.example.com'] });
    }
  });

  it("an attacker-controlled display name is shown as text: no markup, no script, nothing runs", async () => {
    const c = await createApiKey(t.app);
    await putSettings(c.client_id, { display_name: HOSTILE_NAME });
    const created = await session({ user_id: 'hostile-brand', perms: 'read' }, c.api_key);
    const raw = await (await fetch(created.connect_url)).text();
    expect(raw).not.toContain('<script>');
    expect(raw).not.toContain('<img src=x');
    expect(raw).toContain('&lt;script&gt;');
    const page = await browser.newPage();
    const res = await page.goto(created.connect_url);
    // Without a logo the page's CSP is the strict one.
    expect(res?.headers()['content-security-policy']).toContain("img-src 'self';");
    expect(await page.$eval('#app-name', (e) => e.textContent)).toBe(HOSTILE_NAME);
    expect(await page.$eval('#client', (e) => e.textContent)).toBe(HOSTILE_NAME);
    expect(await page.evaluate("[document.querySelectorAll('script').length, document.querySelectorAll('img').length]")).toEqual([0, 0]);
    expect(await page.title()).toBe(`${HOSTILE_NAME} wants to connect your Flickr account`);
    await shot(page, '13-hostile-name');
    await page.close();
  });

  describe('POST /v1/connect-sessions', () => {
    it('answers 201 with a one-time link; the database keeps only its hash', async () => {
      const res = await createSession({ user_id: 'api-user', perms: 'delete', expires_in: 120 });
      expect(res.status).toBe(201);
      const body = (await res.json()) as { connect_url: string; session_id: string; expires_at: string };
      const token = new URL(body.connect_url).pathname.split('/').pop() as string;
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const ttl = new Date(body.expires_at).getTime() - Date.now();
      expect(ttl).toBeGreaterThan(60_000);
      expect(ttl).toBeLessThanOrEqual(120_000);
      const stored = JSON.stringify(await db.collection('connect_sessions').findOne({ session_id: body.session_id }));
      expect(stored).not.toContain(token);
    });

    it.each([
      ['not on the allowlist', 'https://evil.example/x'],
      ['plain http off localhost', 'http://app.example.com/x'],
      ['not a URL', 'nope'],
    ])('refuses a return_url %s', async (_why, url) => {
      const res = await createSession({ user_id: 'api-user', perms: 'read', return_url: url });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ type: expect.stringContaining('connect-return-url-not-allowed') });
    });

    it('refuses expires_in above 1800 s, bad perms, and calls without a key', async () => {
      expect((await createSession({ user_id: 'api-user', perms: 'read', expires_in: 1801 })).status).toBe(400);
      expect((await createSession({ user_id: 'api-user', perms: 'admin' })).status).toBe(400);
      const anonymous = await fetch(`${t.url}/v1/connect-sessions`, { method: 'POST', headers: json, body: JSON.stringify({ user_id: 'x', perms: 'read' }) });
      expect(anonymous.status).toBe(401);
    });
  });
});
