import { randomBytes, randomInt } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import busboy from 'busboy';
import { CATALOGUE, genericAnswer, HANDLERS, missingArgument, type Permission } from './fake-flickr.methods';
import { type FakeGroup, type FakePhoto, type FakeUser, FakeWorld, FlickrFail, parseTags } from './fake-flickr.world';
import {
  hmacSha1Signature,
  parseAuthorizationHeader,
  parseForm,
  signatureBaseString,
  signatureMatches,
} from './oauth-signature';

export type { FakeGroup, FakePhoto, FakeUser } from './fake-flickr.world';
export { FakeWorld, FlickrFail } from './fake-flickr.world';

/** A fault to inject: matched by REST method name or URL path (`*`: any request), applied `times` times. */
export interface FakeFault {
  match: string;
  times?: number;
  /** Only requests made with this consumer key (any, when absent). */
  consumerKey?: string;
  /** Answer this HTTP status (e.g. 429, 503) with an empty body. */
  status?: number;
  /** Answer `stat: fail` with this Flickr error code. */
  code?: number;
  /** Wait this long before answering. */
  delayMs?: number;
}

/** Which public origin each part of Flickr is signed over (the URL the client signed). */
export interface FakeOrigins {
  www: string;
  api: string;
  up: string;
}

export const REAL_FLICKR_ORIGINS: FakeOrigins = {
  www: 'https://www.flickr.com',
  api: 'https://api.flickr.com',
  up: 'https://up.flickr.com',
};

/** A Flickr app (consumer): key and secret. */
export interface FakeConsumer {
  consumerKey: string;
  consumerSecret: string;
}

export interface FakeFlickrOptions {
  /** The default app (`fake.consumerKey`); random when absent. */
  consumerKey?: string;
  consumerSecret?: string;
  /** More apps the fake accepts from the start (more can be added with `addConsumer`). */
  consumers?: FakeConsumer[];
  /** With `origins`, signatures are checked over those (e.g. the real Flickr URLs). */
  origins?: FakeOrigins;
  /** Loopback port to listen on (0, the default: a free one). */
  port?: number;
  /** Its pages say it is the sandbox of local development (tools/sandbox-flickr/main.ts) rather than a test's fake. */
  sandbox?: boolean;
}

/** What the fake knows about an access token it issued. */
export interface FakeTokenInfo {
  consumerKey: string;
  nsid: string;
  perms: Permission;
  revoked: boolean;
}

interface RequestToken {
  secret: string;
  consumerKey: string;
  callback: string;
  perms?: string;
  verifier?: string;
  user?: FakeUser;
  used: boolean;
  createdAt: number;
}

interface AccessToken {
  secret: string;
  consumerKey: string;
  user: FakeUser;
  perms: string;
  revoked: boolean;
}

/** One request that reached the fake (before any fault or check). */
export interface Received {
  method: string;
  path: string;
  params: Record<string, string>;
  /** `oauth_consumer_key`, or `api_key` for an unsigned call. */
  consumerKey?: string;
  file?: { filename: string; bytes: number };
}

const RANK: Record<string, number> = { none: 0, read: 1, write: 2, delete: 3 };

/** The default seeded user and group. */
export const ALICE: FakeUser = { nsid: '12345678@N00', username: 'alice', fullname: 'Alice Example' };
export const FAKE_GROUP_ID = '1234567@N20';

/**
 * A real HTTP server that speaks Flickr's protocol: OAuth 1.0a (HMAC-SHA1,
 * signatures checked the way Flickr checks them), the REST endpoint with JSON
 * answers and Flickr's error codes, upload and replace (sync and async with
 * tickets), plus fault injection. The only imitation the test suite allows.
 *
 * REST, in the order Flickr checks a call:
 * - the app: `oauth_consumer_key` (signed calls) or `api_key` (unsigned
 *   calls, allowed for methods needing no permission); missing or unknown →
 *   100 "Invalid API Key"; several apps can be registered (`consumers`,
 *   `addConsumer`), each signature is checked with its own app's secret;
 * - a signed call: no signature → 97; unknown token → 98; bad signature
 *   → 96; revoked token → 98; a token used with another app's consumer key
 *   than the one it was issued to → 98 "Invalid auth token" (Flickr tokens
 *   are bound to the consumer key; the request-token exchange answers
 *   `oauth_problem=token_rejected`). A signed call without a token is a
 *   two-legged call with the app's secret and no permission;
 * - `format` other than json → 111; a method not in Flickr's catalogue
 *   (src/flickr/flickr.catalogue.json) → 112 `Method "<name>" not found`;
 * - permission: the method's catalogue permission against the token's
 *   granted perms (delete ⊃ write ⊃ read) → 99 `Insufficient permissions.
 *   Method requires <perm> privileges; <granted> granted.` (`none` without a
 *   token); write/delete methods must be POSTed (99 otherwise);
 * - a missing required argument (catalogue) → code 1, "<Thing> not found"
 *   for ids, `Required argument "<name>" missing` otherwise;
 * - then the method itself (fake-flickr.methods.ts): bespoke handlers for
 *   photos.*, photosets.*, people.*, favorites.*, galleries.*, groups
 *   (pools, join/leave, info, search, members), photos.comments.*,
 *   photos.geo.*, photos.notes/people/licenses, tags.*, urls.*, test.*,
 *   reflection.*, backed by one in-memory world (fake-flickr.world.ts) so
 *   writes are seen by later reads; any other catalogued method gets a
 *   generic Flickr-shaped answer (`{"stat":"ok"}` for writes, an empty list
 *   for reads).
 *
 * Observability: `requests` (everything received), `count(method|path)`,
 * `calls(consumerKey?)`, `callsTo(method, consumerKey?)`; faults with
 * `inject` (per method/path/`*`, optionally per consumer key) and
 * `rateLimit` (HTTP 429).
 */
export class FakeFlickr {
  readonly world = new FakeWorld();
  readonly requests: Received[] = [];
  private readonly consumerSecrets = new Map<string, string>();
  private readonly requestTokens = new Map<string, RequestToken>();
  private readonly accessTokens = new Map<string, AccessToken>();
  private readonly faults: FakeFault[] = [];
  private server!: Server;
  url = '';
  origins!: FakeOrigins;
  private sandbox = false;

  private constructor(
    readonly consumerKey: string,
    readonly consumerSecret: string,
  ) {
    this.consumerSecrets.set(consumerKey, consumerSecret);
  }

  /** Starts on a free loopback port. */
  static async start(options: FakeFlickrOptions = {}): Promise<FakeFlickr> {
    const fake = new FakeFlickr(options.consumerKey ?? `ck${randomBytes(8).toString('hex')}`, options.consumerSecret ?? randomBytes(12).toString('hex'));
    for (const c of options.consumers ?? []) fake.addConsumer(c);
    fake.addUser(ALICE);
    fake.addGroup({ nsid: FAKE_GROUP_ID, name: 'Fake Flickr Group', description: 'A group every fake world has', pathAlias: 'fakegroup', members: new Set([ALICE.nsid]), admins: new Set([ALICE.nsid]) });
    fake.sandbox = options.sandbox ?? false;
    fake.server = createServer((req, res) => void fake.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      fake.server.once('error', reject);
      fake.server.listen(options.port ?? 0, '127.0.0.1', resolve);
    });
    fake.url = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
    fake.origins = options.origins ?? { www: fake.url, api: fake.url, up: fake.url };
    return fake;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** The people of the fake Flickr, by nsid. */
  get users(): Map<string, FakeUser> {
    return this.world.users;
  }

  addUser(user: FakeUser): FakeUser {
    this.world.users.set(user.nsid, user);
    return user;
  }

  /** Registers another Flickr app (random key and secret when not given); returns it. */
  addConsumer(consumer: Partial<FakeConsumer> = {}): FakeConsumer {
    const added = { consumerKey: consumer.consumerKey ?? `ck${randomBytes(8).toString('hex')}`, consumerSecret: consumer.consumerSecret ?? randomBytes(12).toString('hex') };
    this.consumerSecrets.set(added.consumerKey, added.consumerSecret);
    return added;
  }

  /** The app is deleted on Flickr: its key answers 100 from now on. */
  removeConsumer(consumerKey: string): void {
    this.consumerSecrets.delete(consumerKey);
  }

  /** Every app the fake accepts, the default one first. */
  consumers(): FakeConsumer[] {
    return [...this.consumerSecrets].map(([consumerKey, consumerSecret]) => ({ consumerKey, consumerSecret }));
  }

  /** Adds a photo to the world (as if uploaded by `owner`, default alice); every field has a default. */
  addPhoto(input: Partial<Omit<FakePhoto, 'tags'>> & { owner?: string; tags?: string | string[] } = {}): FakePhoto {
    return this.world.addPhoto({ ...input, owner: input.owner ?? ALICE.nsid });
  }

  /** Adds a group (random nsid when not given). */
  addGroup(input: Partial<FakeGroup> & { name: string }): FakeGroup {
    return this.world.addGroup(input);
  }

  /** The full record of a photo (tags, geo, comments, favourites...), or undefined. */
  photo(id: string): FakePhoto | undefined {
    return this.world.photos.get(id);
  }

  /** The user clicks "OK, I'll authorize it": returns the verifier Flickr would show (oob) or redirect with. */
  approve(requestToken: string, nsid = '12345678@N00', perms = 'read'): string {
    const pending = this.requestTokens.get(requestToken);
    const user = this.users.get(nsid);
    if (!pending || !user) throw new Error('unknown request token or user');
    pending.user = user;
    pending.perms = perms;
    pending.verifier = pending.callback === 'oob' ? `${randomInt(100, 999)}-${randomInt(100, 999)}-${randomInt(100, 999)}` : randomBytes(8).toString('hex');
    return pending.verifier;
  }

  /** Mints an access token as if the OAuth flow had run (for tests that do not exercise OAuth). */
  issueToken(options: { consumerKey?: string; nsid?: string; perms?: 'read' | 'write' | 'delete' } = {}): { oauthToken: string; oauthTokenSecret: string } {
    const consumerKey = options.consumerKey ?? this.consumerKey;
    if (!this.consumerSecrets.has(consumerKey)) throw new Error(`unknown consumer key ${consumerKey}`);
    const user = this.users.get(options.nsid ?? ALICE.nsid);
    if (!user) throw new Error('unknown user');
    const oauthToken = `72157${randomInt(1e9, 1e10)}-${randomBytes(8).toString('hex')}`;
    const oauthTokenSecret = randomBytes(8).toString('hex');
    this.accessTokens.set(oauthToken, { secret: oauthTokenSecret, consumerKey, user, perms: options.perms ?? 'write', revoked: false });
    return { oauthToken, oauthTokenSecret };
  }

  /** Which app an access token was issued to, for whom, with which perms; undefined for a token the fake never issued. */
  tokenInfo(oauthToken: string): FakeTokenInfo | undefined {
    const t = this.accessTokens.get(oauthToken);
    return t && { consumerKey: t.consumerKey, nsid: t.user.nsid, perms: t.perms as Permission, revoked: t.revoked };
  }

  /** The user revokes the app on Flickr: the access token answers code 98 from now on. */
  revoke(accessToken: string): void {
    const token = this.accessTokens.get(accessToken);
    if (token) token.revoked = true;
  }

  /** Every access token of a user is revoked (the user removed the app on Flickr). */
  revokeUser(nsid: string): number {
    let n = 0;
    for (const token of this.accessTokens.values()) {
      if (token.user.nsid === nsid && !token.revoked) {
        token.revoked = true;
        n++;
      }
    }
    return n;
  }

  /** Secrets the fake has issued (request and access token secrets), so tests can grep stored data for them. */
  issuedSecrets(): string[] {
    return [...[...this.requestTokens.values()].map((t) => t.secret), ...[...this.accessTokens.entries()].flatMap(([k, t]) => [k, t.secret])];
  }

  inject(fault: FakeFault): void {
    this.faults.push({ times: 1, ...fault });
  }

  /**
   * Flickr throttles: the next `times` requests (default 1; `Infinity` until
   * `clearFaults`) matching `match` (a method or path; default any) and, when
   * given, made with `consumerKey`, answer HTTP 429 with an empty body.
   */
  rateLimit(options: { consumerKey?: string; match?: string; times?: number } = {}): void {
    this.inject({ match: options.match ?? '*', consumerKey: options.consumerKey, times: options.times ?? 1, status: 429 });
  }

  /** Drops every pending fault. */
  clearFaults(): void {
    this.faults.length = 0;
  }

  /** Every photo the fake holds (uploads included), in upload order; `tags` is the raw tags, space separated. */
  listPhotos(): Array<{ id: string; owner: string; title: string; tags: string; bytes: number }> {
    return [...this.world.photos.values()].map((p) => ({ id: p.id, owner: p.owner, title: p.title, tags: p.tags.map((t) => t.raw).join(' '), bytes: p.bytes }));
  }

  /** How many requests reached the fake for a REST method name or path. */
  count(match: string): number {
    return this.requests.filter((r) => r.params.method === match || r.path === match).length;
  }

  /** Requests that reached the fake (OAuth, REST, upload, refused ones too) made with `consumerKey`; all requests without it. */
  calls(consumerKey?: string): number {
    return consumerKey === undefined ? this.requests.length : this.requests.filter((r) => r.consumerKey === consumerKey).length;
  }

  /** REST calls of `method` that reached the fake (refused ones too), optionally only those made with `consumerKey`. */
  callsTo(method: string, consumerKey?: string): number {
    return this.requests.filter((r) => r.params.method === method && (consumerKey === undefined || r.consumerKey === consumerKey)).length;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', this.url);
      const path = url.pathname.replace(/\/$/, '');
      const { params, file } = await this.readParams(req, url);
      const flat = Object.fromEntries(params);
      const consumerKey = flat.oauth_consumer_key ?? flat.api_key;
      this.requests.push({ method: req.method ?? 'GET', path, params: flat, consumerKey, file });

      const fault = this.takeFault(flat.method ?? path, consumerKey);
      if (fault?.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
      if (fault?.status) return this.send(res, fault.status, 'text/plain', '');
      if (fault?.code) return this.restFail(res, fault.code, 'Injected failure');

      switch (path) {
        case '/services/oauth/request_token':
          return this.requestToken(req, res, path, params);
        case '/services/oauth/authorize':
          return this.authorize(res, flat);
        case '/services/oauth/access_token':
          return this.accessToken(req, res, path, params);
        case '/services/rest':
          return this.rest(req, res, path, params);
        case '/services/upload':
        case '/services/replace':
          return this.upload(req, res, path, params, file);
        default:
          return this.send(res, 404, 'text/plain', 'Not Found');
      }
    } catch (error) {
      this.send(res, 500, 'text/plain', String(error));
    }
  }

  private takeFault(match: string, consumerKey: string | undefined): FakeFault | undefined {
    const i = this.faults.findIndex((f) => (f.match === match || f.match === '*') && (f.consumerKey === undefined || f.consumerKey === consumerKey));
    if (i < 0) return undefined;
    const fault = this.faults[i];
    fault.times = (fault.times ?? 1) - 1;
    if (fault.times <= 0) this.faults.splice(i, 1);
    return fault;
  }

  /** Query, form or multipart fields (never the file) plus Authorization-header OAuth params. */
  private readParams(req: IncomingMessage, url: URL): Promise<{ params: Array<[string, string]>; file?: Received['file'] }> {
    const params: Array<[string, string]> = [...parseForm(url.search.slice(1)), ...parseAuthorizationHeader(req.headers.authorization)];
    const type = req.headers['content-type'] ?? '';
    if (req.method !== 'POST') return Promise.resolve({ params });
    if (type.startsWith('application/x-www-form-urlencoded')) {
      return new Promise((resolve, reject) => {
        let body = '';
        req.setEncoding('utf8');
        req.on('data', (c: string) => (body += c));
        req.on('end', () => resolve({ params: [...params, ...parseForm(body)] }));
        req.on('error', reject);
      });
    }
    if (!type.startsWith('multipart/form-data')) return Promise.resolve({ params });
    return new Promise((resolve, reject) => {
      let file: Received['file'];
      const parser = busboy({ headers: req.headers });
      parser.on('field', (name, value) => params.push([name, value]));
      parser.on('file', (name, stream, info) => {
        let bytes = 0;
        stream.on('data', (chunk: Buffer) => (bytes += chunk.length));
        stream.on('end', () => {
          if (name === 'photo') file = { filename: info.filename ?? 'photo', bytes };
        });
      });
      parser.on('close', () => resolve({ params, file }));
      parser.on('error', reject);
      req.pipe(parser);
    });
  }

  /** Checks the HMAC-SHA1 signature over the URL the client signed, with the secret of the app it names. Returns an error code or 0. */
  private verify(method: string, signedUrl: string, params: Array<[string, string]>, tokenSecret: string): number {
    const flat = Object.fromEntries(params);
    if (!flat.oauth_signature) return 97;
    const consumerSecret = this.consumerSecrets.get(flat.oauth_consumer_key ?? '');
    if (consumerSecret === undefined) return 100;
    if (flat.oauth_signature_method !== 'HMAC-SHA1') return 96;
    const expected = hmacSha1Signature(signatureBaseString(method, signedUrl, params), consumerSecret, tokenSecret);
    return signatureMatches(flat.oauth_signature, expected) ? 0 : 96;
  }

  private requestToken(req: IncomingMessage, res: ServerResponse, path: string, params: Array<[string, string]>): void {
    const code = this.verify(req.method ?? 'GET', this.origins.www + path, params, '');
    const flat = Object.fromEntries(params);
    if (code) return this.oauthProblem(res, code === 97 ? 'parameter_absent' : code === 100 ? 'consumer_key_unknown' : 'signature_invalid');
    if (!flat.oauth_callback) return this.oauthProblem(res, 'parameter_absent');
    const token = randomBytes(16).toString('hex');
    const secret = randomBytes(8).toString('hex');
    this.requestTokens.set(token, { secret, consumerKey: flat.oauth_consumer_key, callback: flat.oauth_callback, used: false, createdAt: Date.now() });
    this.send(res, 200, 'text/plain;charset=UTF-8', `oauth_callback_confirmed=true&oauth_token=${token}&oauth_token_secret=${secret}`);
  }

  /**
   * Flickr's approval page. Without `fake_user`: a form a person fills in a browser (which sandbox user approves,
   * then "OK, I'll authorize it"), submitted as GET to this same page with `fake_user`; tests may add `fake_user`
   * to the URL directly. With it: the PIN page (`oob`, the verifier in `<span class="code">`) or the redirect to
   * the callback with `oauth_token` and `oauth_verifier`.
   */
  private authorize(res: ServerResponse, flat: Record<string, string>): void {
    const pending = this.requestTokens.get(flat.oauth_token ?? '');
    if (!pending) return this.page(res, 400, 'Oops!', '<p>Flickr does not recognise the permission set (unknown or used request token).</p>');
    const perms = flat.perms ?? 'read';
    if (!flat.fake_user || !this.users.has(flat.fake_user)) {
      const options = [...this.users.values()]
        .map((u) => `<option value="${html(u.nsid)}">${html(u.fullname)} (${html(u.username)}, ${html(u.nsid)})</option>`)
        .join('');
      return this.page(
        res,
        200,
        'Authorize the app',
        `<p>The app <code>${html(pending.consumerKey)}</code> would like <strong id="perms">${html(perms)}</strong> access to a Flickr account.</p>
<form method="get" action="/services/oauth/authorize">
<input type="hidden" name="oauth_token" value="${html(flat.oauth_token)}">
<input type="hidden" name="perms" value="${html(perms)}">
<p><label for="fake_user">Approve as</label> <select id="fake_user" name="fake_user">${options}</select></p>
<p><button type="submit" id="approve">OK, I'll authorize it</button></p>
</form>`,
      );
    }
    const verifier = this.approve(flat.oauth_token, flat.fake_user, perms);
    if (pending.callback === 'oob') {
      return this.page(
        res,
        200,
        'Your code',
        `<p>Enter this code in the app to finish connecting:</p><p><span class="code">${verifier}</span></p>`,
      );
    }
    const back = new URL(pending.callback);
    back.searchParams.set('oauth_token', flat.oauth_token);
    back.searchParams.set('oauth_verifier', verifier);
    res.writeHead(302, { location: back.toString() }).end();
  }

  /** An HTML page; the sandbox's pages say on top that this is not flickr.com. */
  private page(res: ServerResponse, status: number, title: string, body: string): void {
    const banner = this.sandbox
      ? '<p id="sandbox" role="note"><strong>SANDBOX FLICKR</strong>: a local imitation of Flickr for development (tools/sandbox-flickr), not flickr.com. Nothing here reaches Flickr.</p>'
      : '';
    const label = this.sandbox ? 'Sandbox Flickr' : 'Fake Flickr';
    this.send(
      res,
      status,
      'text/html; charset=utf-8',
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${html(title)} · ${label}</title>${this.sandbox ? SANDBOX_STYLE : ''}</head><body>${banner}<h1>${html(title)}</h1>${body}</body></html>`,
    );
  }

  private accessToken(req: IncomingMessage, res: ServerResponse, path: string, params: Array<[string, string]>): void {
    const flat = Object.fromEntries(params);
    const pending = this.requestTokens.get(flat.oauth_token ?? '');
    if (!pending) return this.oauthProblem(res, 'token_rejected');
    const code = this.verify(req.method ?? 'GET', this.origins.www + path, params, pending.secret);
    if (code) return this.oauthProblem(res, code === 100 ? 'consumer_key_unknown' : 'signature_invalid');
    // A request token only works for the app that obtained it.
    if (pending.consumerKey !== flat.oauth_consumer_key) return this.oauthProblem(res, 'token_rejected');
    if (pending.used || !pending.verifier || pending.verifier !== flat.oauth_verifier || !pending.user) {
      return this.oauthProblem(res, 'token_rejected');
    }
    pending.used = true;
    const token = `72157${randomInt(1e9, 1e10)}-${randomBytes(8).toString('hex')}`;
    const secret = randomBytes(8).toString('hex');
    this.accessTokens.set(token, { secret, consumerKey: pending.consumerKey, user: pending.user, perms: pending.perms ?? 'read', revoked: false });
    const u = pending.user;
    this.send(
      res,
      200,
      'text/plain;charset=UTF-8',
      `fullname=${encodeURIComponent(u.fullname)}&oauth_token=${token}&oauth_token_secret=${secret}` +
        `&user_nsid=${encodeURIComponent(u.nsid)}&username=${encodeURIComponent(u.username)}`,
    );
  }

  /**
   * Resolves the access token of a signed call (null for a signed call
   * without a token, when `tokenRequired` is false), or answers Flickr's
   * error and returns undefined.
   */
  private authenticate(req: IncomingMessage, res: ServerResponse, signedUrl: string, params: Array<[string, string]>, xml: boolean, tokenRequired = true) {
    const flat = Object.fromEntries(params);
    const fail = (code: number, msg: string) => (xml ? this.uploadFail(res, code, msg) : this.restFail(res, code, msg));
    if (!flat.oauth_signature) return void fail(97, 'Missing signature');
    if (!this.consumerSecrets.has(flat.oauth_consumer_key ?? '')) return void fail(100, 'Invalid API Key (Key not found)');
    if (!flat.oauth_token && !tokenRequired) {
      if (this.verify(req.method ?? 'GET', signedUrl, params, '')) return void fail(96, 'Invalid signature');
      return null;
    }
    const token = this.accessTokens.get(flat.oauth_token ?? '');
    if (!token) return void fail(98, 'Invalid auth token');
    const code = this.verify(req.method ?? 'GET', signedUrl, params, token.secret);
    if (code) return void fail(96, 'Invalid signature');
    if (token.revoked) return void fail(98, 'Invalid auth token');
    // Flickr tokens are bound to the app they were issued to.
    if (token.consumerKey !== flat.oauth_consumer_key) return void fail(98, 'Invalid auth token');
    return token;
  }

  private rest(req: IncomingMessage, res: ServerResponse, path: string, params: Array<[string, string]>): void {
    const flat = Object.fromEntries(params);
    let token: AccessToken | null = null;
    if (flat.oauth_signature !== undefined || flat.oauth_token !== undefined || flat.oauth_consumer_key !== undefined) {
      const found = this.authenticate(req, res, this.origins.api + path, params, false, false);
      if (found === undefined) return;
      token = found;
    } else if (!flat.api_key) {
      return this.restFail(res, 100, 'Invalid API Key (Key has invalid format)');
    } else if (!this.consumerSecrets.has(flat.api_key)) {
      return this.restFail(res, 100, 'Invalid API Key (Key not found)');
    }
    if (flat.format !== 'json') return this.restFail(res, 111, `Format "${flat.format ?? 'rest'}" not found`);
    const method = CATALOGUE.get(flat.method ?? '');
    if (!method) return this.restFail(res, 112, `Method "${flat.method ?? ''}" not found`);
    const granted = token?.perms ?? 'none';
    if ((RANK[granted] ?? 0) < RANK[method.permission]) {
      return this.restFail(res, 99, `Insufficient permissions. Method requires ${method.permission} privileges; ${granted} granted.`);
    }
    if (RANK[method.permission] >= RANK.write && req.method !== 'POST') return this.restFail(res, 99, 'Insufficient permissions. Method requires POST');
    const missing = method.params.find((p) => p.required && (flat[p.name] ?? '') === '');
    if (missing) return this.restFail(res, missingArgument(missing.name).code, missingArgument(missing.name).message);
    try {
      const handler = HANDLERS[method.name];
      const body = handler ? handler({ method: method.name, p: flat, me: token?.user.nsid, world: this.world }) : genericAnswer(method);
      this.restOk(res, body);
    } catch (error) {
      if (!(error instanceof FlickrFail)) throw error;
      this.restFail(res, error.code, error.message);
    }
  }

  private upload(req: IncomingMessage, res: ServerResponse, path: string, params: Array<[string, string]>, file?: Received['file']): void {
    if (req.method !== 'POST') return this.uploadFail(res, 3, 'General upload failure');
    const token = this.authenticate(req, res, this.origins.up + path, params, true);
    if (!token) return;
    if (token.perms === 'read') return this.uploadFail(res, 99, 'Insufficient permissions. Method requires write privileges; read granted.');
    const flat = Object.fromEntries(params);
    if (!file) return this.uploadFail(res, 2, 'No photo specified');
    if (file.bytes === 0) return this.uploadFail(res, 4, 'Filesize was zero');
    let photo: FakePhoto;
    if (path === '/services/replace') {
      const existing = this.world.photos.get(flat.photo_id ?? '');
      if (!existing || existing.owner !== token.user.nsid) return this.uploadFail(res, 1, 'Photo not found');
      photo = existing;
      // A replacement keeps the photo's metadata and changes its bytes (and secret, as Flickr does).
      Object.assign(photo, { bytes: file.bytes, secret: randomBytes(5).toString('hex'), lastupdate: this.world.now() });
    } else {
      const flag = (v: string | undefined, fallback: number) => (v === undefined ? fallback : Number(v === '1'));
      photo = this.world.addPhoto({
        owner: token.user.nsid,
        title: flat.title ?? file.filename,
        description: flat.description ?? '',
        tags: parseTags(flat.tags ?? ''),
        bytes: file.bytes,
        ispublic: flag(flat.is_public, 1),
        isfriend: flag(flat.is_friend, 0),
        isfamily: flag(flat.is_family, 0),
        safetyLevel: Number(flat.safety_level) || 1,
        contentType: Number(flat.content_type) || 1,
        hidden: Number(flat.hidden) || 1,
      });
    }
    if (flat.async === '1') {
      const ticketId = `${randomInt(1e8, 1e9)}-72157${randomInt(1e11, 1e12)}`;
      this.world.tickets.set(ticketId, { complete: 0, photoid: photo.id, readyAt: Date.now() + 50 });
      return this.send(res, 200, 'text/xml', `<?xml version="1.0" encoding="utf-8" ?>\n<rsp stat="ok">\n<ticketid>${ticketId}</ticketid>\n</rsp>\n`);
    }
    this.send(
      res,
      200,
      'text/xml',
      `<?xml version="1.0" encoding="utf-8" ?>\n<rsp stat="ok">\n<photoid secret="${photo.secret}" originalsecret="${photo.secret}">${photo.id}</photoid>\n</rsp>\n`,
    );
  }

  private restOk(res: ServerResponse, body: Record<string, unknown>): void {
    this.send(res, 200, 'application/json', JSON.stringify({ ...body, stat: 'ok' }));
  }

  private restFail(res: ServerResponse, code: number, message: string): void {
    this.send(res, 200, 'application/json', JSON.stringify({ stat: 'fail', code, message }));
  }

  private uploadFail(res: ServerResponse, code: number, msg: string): void {
    this.send(res, 200, 'text/xml', `<?xml version="1.0" encoding="utf-8" ?>\n<rsp stat="fail">\n<err code="${code}" msg="${msg}" />\n</rsp>\n`);
  }

  private oauthProblem(res: ServerResponse, problem: string): void {
    this.send(res, 401, 'text/plain', `oauth_problem=${problem}`);
  }

  private send(res: ServerResponse, status: number, type: string, body: string): void {
    res.writeHead(status, { 'content-type': type }).end(body);
  }
}

/** The sandbox's pages: readable, and the banner impossible to miss. */
const SANDBOX_STYLE =
  '<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;line-height:1.5}' +
  '#sandbox{background:#fff3bf;border:2px solid #e8590c;padding:.75rem 1rem;border-radius:.5rem}' +
  '.code{font-size:2rem;font-weight:bold;letter-spacing:.1em}button{font-size:1rem;padding:.5rem 1rem}</style>';

/** Text for HTML content and attribute values. */
function html(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
