import { randomBytes, randomInt } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import busboy from 'busboy';
import {
  hmacSha1Signature,
  parseAuthorizationHeader,
  parseForm,
  signatureBaseString,
  signatureMatches,
} from './oauth-signature';

/** A user of the fake Flickr. */
export interface FakeUser {
  nsid: string;
  username: string;
  fullname: string;
}

/** A fault to inject: matched by REST method name or URL path, applied `times` times. */
export interface FakeFault {
  match: string;
  times?: number;
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

interface RequestToken {
  secret: string;
  callback: string;
  perms?: string;
  verifier?: string;
  user?: FakeUser;
  used: boolean;
  createdAt: number;
}

interface AccessToken {
  secret: string;
  user: FakeUser;
  perms: string;
  revoked: boolean;
}

interface Received {
  method: string;
  path: string;
  params: Record<string, string>;
  file?: { filename: string; bytes: number };
}

const WRITE_METHODS = new Set(['flickr.photos.delete', 'flickr.photos.setMeta', 'flickr.photosets.create']);

/**
 * A real HTTP server that speaks Flickr's protocol: OAuth 1.0a (HMAC-SHA1,
 * signatures checked the way Flickr checks them), the REST endpoint with JSON
 * answers and Flickr's error codes, upload and replace (sync and async with
 * tickets), plus fault injection. The only imitation the test suite allows.
 */
export class FakeFlickr {
  readonly users = new Map<string, FakeUser>();
  readonly requests: Received[] = [];
  private readonly requestTokens = new Map<string, RequestToken>();
  private readonly accessTokens = new Map<string, AccessToken>();
  private readonly tickets = new Map<string, { complete: 0 | 1 | 2; photoid?: string; readyAt: number }>();
  private readonly photos = new Map<string, { id: string; owner: string; title: string; tags: string; bytes: number }>();
  private readonly faults: FakeFault[] = [];
  private server!: Server;
  url = '';
  origins!: FakeOrigins;

  private constructor(
    readonly consumerKey: string,
    readonly consumerSecret: string,
    private readonly originsOverride?: FakeOrigins,
  ) {}

  /** Starts on a free loopback port. With `origins`, signatures are checked over those (e.g. the real Flickr URLs). */
  static async start(options: { consumerKey?: string; consumerSecret?: string; origins?: FakeOrigins } = {}): Promise<FakeFlickr> {
    const fake = new FakeFlickr(
      options.consumerKey ?? `ck${randomBytes(8).toString('hex')}`,
      options.consumerSecret ?? randomBytes(12).toString('hex'),
      options.origins,
    );
    fake.addUser({ nsid: '12345678@N00', username: 'alice', fullname: 'Alice Example' });
    fake.server = createServer((req, res) => void fake.handle(req, res));
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    fake.url = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
    fake.origins = options.origins ?? { www: fake.url, api: fake.url, up: fake.url };
    return fake;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  addUser(user: FakeUser): FakeUser {
    this.users.set(user.nsid, user);
    return user;
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

  /** Every photo the fake holds (uploads included), in upload order. */
  listPhotos(): Array<{ id: string; owner: string; title: string; tags: string; bytes: number }> {
    return [...this.photos.values()];
  }

  /** How many requests reached the fake for a REST method name or path. */
  count(match: string): number {
    return this.requests.filter((r) => r.params.method === match || r.path === match).length;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', this.url);
      const path = url.pathname.replace(/\/$/, '');
      const { params, file } = await this.readParams(req, url);
      const flat = Object.fromEntries(params);
      this.requests.push({ method: req.method ?? 'GET', path, params: flat, file });

      const fault = this.takeFault(flat.method ?? path);
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

  private takeFault(match: string): FakeFault | undefined {
    const i = this.faults.findIndex((f) => f.match === match);
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

  /** Checks the HMAC-SHA1 signature over the URL the client signed. Returns an error code or 0. */
  private verify(method: string, signedUrl: string, params: Array<[string, string]>, tokenSecret: string): number {
    const flat = Object.fromEntries(params);
    if (!flat.oauth_signature) return 97;
    if (flat.oauth_consumer_key !== this.consumerKey) return 100;
    if (flat.oauth_signature_method !== 'HMAC-SHA1') return 96;
    const expected = hmacSha1Signature(signatureBaseString(method, signedUrl, params), this.consumerSecret, tokenSecret);
    return signatureMatches(flat.oauth_signature, expected) ? 0 : 96;
  }

  private requestToken(req: IncomingMessage, res: ServerResponse, path: string, params: Array<[string, string]>): void {
    const code = this.verify(req.method ?? 'GET', this.origins.www + path, params, '');
    const flat = Object.fromEntries(params);
    if (code) return this.oauthProblem(res, code === 97 ? 'parameter_absent' : 'signature_invalid');
    if (!flat.oauth_callback) return this.oauthProblem(res, 'parameter_absent');
    const token = randomBytes(16).toString('hex');
    const secret = randomBytes(8).toString('hex');
    this.requestTokens.set(token, { secret, callback: flat.oauth_callback, used: false, createdAt: Date.now() });
    this.send(res, 200, 'text/plain;charset=UTF-8', `oauth_callback_confirmed=true&oauth_token=${token}&oauth_token_secret=${secret}`);
  }

  /** The page a person would see. `fake_user` approves as that user (the test's stand-in for clicking OK). */
  private authorize(res: ServerResponse, flat: Record<string, string>): void {
    const pending = this.requestTokens.get(flat.oauth_token ?? '');
    if (!pending) return this.send(res, 400, 'text/html', '<p>Oops! Flickr does not recognise the permission set.</p>');
    if (!flat.fake_user) return this.send(res, 200, 'text/html', `<form>Authorize app (${flat.perms ?? 'read'})?</form>`);
    const verifier = this.approve(flat.oauth_token, flat.fake_user, flat.perms ?? 'read');
    if (pending.callback === 'oob') return this.send(res, 200, 'text/html', `<span class="code">${verifier}</span>`);
    const back = new URL(pending.callback);
    back.searchParams.set('oauth_token', flat.oauth_token);
    back.searchParams.set('oauth_verifier', verifier);
    res.writeHead(302, { location: back.toString() }).end();
  }

  private accessToken(req: IncomingMessage, res: ServerResponse, path: string, params: Array<[string, string]>): void {
    const flat = Object.fromEntries(params);
    const pending = this.requestTokens.get(flat.oauth_token ?? '');
    if (!pending) return this.oauthProblem(res, 'token_rejected');
    const code = this.verify(req.method ?? 'GET', this.origins.www + path, params, pending.secret);
    if (code) return this.oauthProblem(res, 'signature_invalid');
    if (pending.used || !pending.verifier || pending.verifier !== flat.oauth_verifier || !pending.user) {
      return this.oauthProblem(res, 'token_rejected');
    }
    pending.used = true;
    const token = `72157${randomInt(1e9, 1e10)}-${randomBytes(8).toString("hex")}`;
    const secret = randomBytes(8).toString('hex');
    this.accessTokens.set(token, { secret, user: pending.user, perms: pending.perms ?? 'read', revoked: false });
    const u = pending.user;
    this.send(
      res,
      200,
      'text/plain;charset=UTF-8',
      `fullname=${encodeURIComponent(u.fullname)}&oauth_token=${token}&oauth_token_secret=${secret}` +
        `&user_nsid=${encodeURIComponent(u.nsid)}&username=${encodeURIComponent(u.username)}`,
    );
  }

  /** Resolves the access token of a signed call, or answers Flickr's error and returns undefined. */
  private authenticate(req: IncomingMessage, res: ServerResponse, signedUrl: string, params: Array<[string, string]>, xml: boolean) {
    const flat = Object.fromEntries(params);
    const token = this.accessTokens.get(flat.oauth_token ?? '');
    const fail = (code: number, msg: string) => (xml ? this.uploadFail(res, code, msg) : this.restFail(res, code, msg));
    if (!flat.oauth_signature) return void fail(97, 'Missing signature');
    if (flat.oauth_consumer_key !== this.consumerKey) return void fail(100, 'Invalid API Key (Key not found)');
    if (!token) return void fail(98, 'Invalid auth token');
    const code = this.verify(req.method ?? 'GET', signedUrl, params, token.secret);
    if (code) return void fail(96, 'Invalid signature');
    if (token.revoked) return void fail(98, 'Invalid auth token');
    return token;
  }

  private rest(req: IncomingMessage, res: ServerResponse, path: string, params: Array<[string, string]>): void {
    const flat = Object.fromEntries(params);
    const token = this.authenticate(req, res, this.origins.api + path, params, false);
    if (!token) return;
    if (flat.format !== 'json') return this.restFail(res, 111, `Format "${flat.format ?? 'rest'}" not found`);
    if (WRITE_METHODS.has(flat.method) && req.method !== 'POST') return this.restFail(res, 99, 'Insufficient permissions. Method requires POST');
    if (WRITE_METHODS.has(flat.method) && token.perms === 'read') return this.restFail(res, 99, 'Insufficient permissions');
    const me = token.user;
    switch (flat.method) {
      case 'flickr.test.login':
        return this.restOk(res, { user: { id: me.nsid, username: { _content: me.username }, path_alias: null } });
      case 'flickr.people.getInfo': {
        const person = this.users.get(flat.user_id ?? '');
        if (!person) return this.restFail(res, 1, 'User not found');
        return this.restOk(res, {
          person: { id: person.nsid, nsid: person.nsid, username: { _content: person.username }, realname: { _content: person.fullname } },
        });
      }
      case 'flickr.photos.search': {
        const mine = [...this.photos.values()].filter((p) => !flat.user_id || flat.user_id === 'me' || p.owner === flat.user_id);
        const byText = flat.text ? mine.filter((p) => p.title.includes(flat.text)) : mine;
        // Machine tags (namespace:predicate=value), matched exactly as the upload worker uses them.
        const wanted = (flat.machine_tags ?? '').split(',').map((t) => t.trim()).filter(Boolean);
        const matching = wanted.length ? byText.filter((p) => wanted.every((t) => p.tags.split(/\s+/).includes(t))) : byText;
        const perPage = Math.min(Number(flat.per_page ?? 100), 500);
        return this.restOk(res, {
          photos: {
            page: 1,
            pages: Math.max(1, Math.ceil(matching.length / perPage)),
            perpage: perPage,
            total: matching.length,
            photo: matching.slice(0, perPage).map((p) => ({ id: p.id, owner: p.owner, title: p.title, ispublic: 1 })),
          },
        });
      }
      case 'flickr.photos.getInfo': {
        const photo = this.photos.get(flat.photo_id ?? '');
        if (!photo) return this.restFail(res, 1, 'Photo "' + (flat.photo_id ?? '') + '" not found (invalid ID)');
        return this.restOk(res, { photo: { id: photo.id, owner: { nsid: photo.owner }, title: { _content: photo.title } } });
      }
      case 'flickr.photosets.getList':
        return this.restOk(res, { photosets: { page: 1, pages: 1, perpage: 500, total: 0, photoset: [] } });
      case 'flickr.photos.upload.checkTickets': {
        const ids = (flat.tickets ?? '').split(',').filter(Boolean);
        const ticket = ids.map((id) => {
          const t = this.tickets.get(id);
          if (!t) return { id, invalid: 1 };
          if (t.complete === 0 && Date.now() >= t.readyAt) t.complete = 1;
          return t.complete === 1 ? { id, complete: 1, photoid: t.photoid, imported: Math.floor(Date.now() / 1000) } : { id, complete: t.complete };
        });
        return this.restOk(res, { uploader: { ticket } });
      }
      default:
        return this.restFail(res, 112, `Method "${flat.method}" not found`);
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
    const replacing = path === '/services/replace';
    if (replacing && !this.photos.has(flat.photo_id ?? '')) return this.uploadFail(res, 1, 'Photo not found');
    const id = replacing ? flat.photo_id : String(randomInt(1e10, 1e11));
    this.photos.set(id, { id, owner: token.user.nsid, title: flat.title ?? file.filename, tags: flat.tags ?? '', bytes: file.bytes });
    if (flat.async === '1') {
      const ticketId = `${randomInt(1e8, 1e9)}-72157${randomInt(1e11, 1e12)}`;
      this.tickets.set(ticketId, { complete: 0, photoid: id, readyAt: Date.now() + 50 });
      return this.send(res, 200, 'text/xml', `<?xml version="1.0" encoding="utf-8" ?>\n<rsp stat="ok">\n<ticketid>${ticketId}</ticketid>\n</rsp>\n`);
    }
    const secret = randomBytes(5).toString('hex');
    this.send(
      res,
      200,
      'text/xml',
      `<?xml version="1.0" encoding="utf-8" ?>\n<rsp stat="ok">\n<photoid secret="${secret}" originalsecret="${secret}">${id}</photoid>\n</rsp>\n`,
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
