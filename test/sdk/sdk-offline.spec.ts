import { createHash, createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import busboy from 'busboy';
import {
  AuthenticationError,
  ConflictError,
  FlickrPermissionError,
  GatewayClient,
  GatewayConnectionError,
  GatewayError,
  NotFoundError,
  Paginator,
  RateLimitError,
  UnavailableError,
  ValidationError,
  WebhookVerificationError,
  canonicalQuery,
  parseRetryAfter,
  signRequest,
  stringToSign,
  toGatewayError,
  verifyWebhook,
} from '../../packages/sdk/src';
import type { ConnectSession, UploadFields, UploadJob, WebhookEvent } from '../../packages/sdk/src';
import { multipartBody } from '../../packages/sdk/src/multipart';

/** What the SDK computes on its own: no server involved. The tests against the app are in sdk-app.spec.ts. */
describe('SDK, offline', () => {
  describe('HMAC signing (docs/authentication.md)', () => {
    const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'authentication.md'), 'utf8');
    const ex = JSON.parse(/```json worked-example\n([\s\S]*?)\n```/.exec(doc)?.[1] ?? 'null') as Record<string, string>;

    it('reproduces the worked example: string to sign and signature', () => {
      const [path, query] = ex.url.split('?');
      const input = { method: ex.method, path, query, timestamp: ex.timestamp, nonce: ex.nonce, body: ex.body };
      expect(stringToSign(input)).toBe(ex.string_to_sign);
      const headers = signRequest({ keyId: 'k7q2m4x9abcd', signingSecret: ex.signing_secret, ...input, timestamp: Number(ex.timestamp) });
      expect(headers).toEqual({ 'x-fgw-key-id': 'k7q2m4x9abcd', 'x-fgw-timestamp': ex.timestamp, 'x-fgw-nonce': ex.nonce, 'x-fgw-signature': ex.signature });
    });

    it('sorts the query by bytes without decoding, and drops empty parts', () => {
      expect(canonicalQuery('b=x%20y&a=1&&b=2&')).toBe('a=1&b=2&b=x%20y');
      expect(canonicalQuery('')).toBe('');
      expect(canonicalQuery('Z=1&a=1&%41=1')).toBe('%41=1&Z=1&a=1');
    });

    it('gives every request a fresh 32-character nonce and the current time', () => {
      const a = signRequest({ keyId: 'k', signingSecret: 's', method: 'GET', path: '/v1/users', query: '' });
      const b = signRequest({ keyId: 'k', signingSecret: 's', method: 'GET', path: '/v1/users', query: '' });
      expect(a['x-fgw-nonce']).toMatch(/^[0-9a-f]{32}$/);
      expect(a['x-fgw-nonce']).not.toBe(b['x-fgw-nonce']);
      expect(Math.abs(Number(a['x-fgw-timestamp']) - Date.now() / 1000)).toBeLessThan(5);
    });

    it('signs the query exactly as the client sends it on the wire', async () => {
      const seen: { url: string; headers: Record<string, string> }[] = [];
      const fakeFetch = (async (url: string, init: RequestInit) => {
        seen.push({ url, headers: init.headers as Record<string, string> });
        return new Response(JSON.stringify({ items: [], next_cursor: null }), { status: 200 });
      }) as unknown as typeof fetch;
      const client = new GatewayClient({ baseUrl: 'http://gw.test/prefix/', keyId: 'abcdefgh2345', signingSecret: 'fgws_x', fetch: fakeFetch });
      await client.uploads.list({ user_id: 'u 1', status: 'queued', from: '2026-01-01T00:00:00Z', limit: 5 }).first();
      const wire = new URL(seen[0].url);
      expect(wire.pathname).toBe('/prefix/v1/uploads');
      expect(wire.search).toBe('?user_id=u%201&status=queued&from=2026-01-01T00%3A00%3A00Z&limit=5');
      const h = seen[0].headers;
      const expected = createHmac('sha256', 'fgws_x')
        .update(stringToSign({ method: 'GET', path: '/prefix/v1/uploads', query: wire.search.slice(1), timestamp: h['x-fgw-timestamp'], nonce: h['x-fgw-nonce'] }))
        .digest('hex');
      expect(h['x-fgw-signature']).toBe(expected);
      expect(h['x-api-key']).toBeUndefined();
    });

    it('refuses to be built without a credential, or to sign without a key id', () => {
      expect(() => new GatewayClient({ baseUrl: 'http://gw.test' })).toThrow(TypeError);
      expect(() => new GatewayClient({ baseUrl: 'http://gw.test', signingSecret: 'fgws_x' })).toThrow(/keyId/);
      expect(() => new GatewayClient({ baseUrl: 'http://gw.test', apiKey: 'fgw_abcdefgh2345_secret', signingSecret: 'fgws_x' })).not.toThrow();
    });
  });

  describe('problem+json → typed errors', () => {
    const problem = (status: number, code: string, extra: Record<string, unknown> = {}) =>
      JSON.stringify({ type: `urn:flickr-gateway:problem:${code}`, title: 't', status, detail: 'd', requestId: 'req-body-1', ...extra });
    const make = (status: number, body: string, headers: Record<string, string> = {}) =>
      toGatewayError({ status, headers: new Headers(headers), body, method: 'GET', url: 'http://gw.test/v1/x' });

    it.each([
      [429, 'rate-limited', RateLimitError, 'rate-limited'],
      [401, 'authentication-failed', AuthenticationError, 'authentication'],
      [403, 'forbidden', AuthenticationError, 'authentication'],
      [403, 'flickr-permission-required', FlickrPermissionError, 'flickr-permission'],
      [404, 'not-found', NotFoundError, 'not-found'],
      [400, 'validation-failed', ValidationError, 'validation'],
      [422, 'idempotency-key-mismatch', ValidationError, 'validation'],
      [409, 'upload-not-cancellable', ConflictError, 'conflict'],
      [502, 'flickr-error', UnavailableError, 'unavailable'],
      [503, 'database-unavailable', UnavailableError, 'unavailable'],
      [504, 'flickr-error', UnavailableError, 'unavailable'],
      [413, 'payload-too-large', GatewayError, 'other'],
    ])('%i %s → %p', (status, code, Class, kind) => {
      const error = make(status, problem(status, code));
      expect(error).toBeInstanceOf(Class);
      expect(error).toBeInstanceOf(GatewayError);
      expect(error).toBeInstanceOf(Error);
      expect(error.constructor).toBe(Class);
      expect(error).toMatchObject({ status, kind, code, type: `urn:flickr-gateway:problem:${code}`, title: 't', detail: 'd', requestId: 'req-body-1' });
      expect(error.name).toBe(Class.name);
    });

    it('keeps the extensions and lists validation errors', () => {
      const error = make(400, problem(400, 'validation-failed', { errors: ['limit must not be greater than 500'] })) as ValidationError;
      expect(error.errors).toEqual(['limit must not be greater than 500']);
      const flickr = make(403, problem(403, 'flickr-permission-required', { required_permission: 'delete' }));
      expect(flickr.problem.required_permission).toBe('delete');
    });

    it('reads Retry-After as seconds or as an HTTP date, and the request id from the header when the body has none', () => {
      expect(make(429, problem(429, 'rate-limited'), { 'retry-after': '17' }).retryAfterSeconds).toBe(17);
      expect(parseRetryAfter(new Date(Date.UTC(2030, 0, 1, 0, 0, 30)).toUTCString(), Date.UTC(2030, 0, 1, 0, 0, 0))).toBe(30);
      expect(parseRetryAfter(new Date(Date.UTC(2020, 0, 1)).toUTCString(), Date.UTC(2030, 0, 1))).toBe(0);
      expect(parseRetryAfter('soon')).toBeUndefined();
      expect(parseRetryAfter(null)).toBeUndefined();
      const noBodyId = make(503, JSON.stringify({ type: 'urn:flickr-gateway:problem:not-ready', title: 't', status: 503 }), { 'x-request-id': 'hdr-1' });
      expect(noBodyId.requestId).toBe('hdr-1');
    });

    it('turns a body that is not problem+json into an error all the same', () => {
      const error = make(502, '<html>Bad Gateway</html>', { 'x-request-id': 'hdr-2' });
      expect(error).toBeInstanceOf(UnavailableError);
      expect(error).toMatchObject({ type: 'about:blank', status: 502, requestId: 'hdr-2', detail: '<html>Bad Gateway</html>' });
    });
  });

  describe('webhook verification', () => {
    const secret = 'whsec_c2RrLXRlc3Qtc2VjcmV0LW5vdC1yZWFs';
    const now = Date.UTC(2026, 11, 1, 10, 0, 0);
    const ts = String(now / 1000);
    const event = { id: 'evt_0123', type: 'upload.completed', version: 1, created_at: '2026-12-01T10:00:00.000Z', user_id: 'u-1', sequence: 3, data: { job_id: 'j' } };
    const rawBody = JSON.stringify(event);
    /** Independent of the SDK: the spec's string to sign, computed here. */
    const sig = (s: string, body = rawBody, timestamp = ts, id = event.id) =>
      createHmac('sha256', Buffer.from(s, 'utf8'))
        .update(`FGW1-WEBHOOK-HMAC-SHA256\n${timestamp}\n${id}\n${createHash('sha256').update(body).digest('hex')}`)
        .digest('hex');
    const headers = (over: Record<string, string | undefined> = {}) => ({
      'x-fgw-event-id': event.id,
      'x-fgw-event-type': event.type,
      'x-fgw-delivery-id': 'dlv_1',
      'x-fgw-webhook-timestamp': ts,
      'x-fgw-webhook-signature': `v1=${sig(secret)}`,
      ...over,
    });
    const reason = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(WebhookVerificationError);
        return (e as WebhookVerificationError).reason;
      }
      throw new Error('verification passed');
    };

    it('accepts a valid delivery (Node headers, fetch Headers, Buffer or string body) and answers the event', () => {
      expect(verifyWebhook({ secret, headers: headers(), rawBody, now })).toEqual(event);
      expect(verifyWebhook({ secret, headers: new Headers(headers()), rawBody: Buffer.from(rawBody), now: new Date(now) })).toEqual(event);
      const upper = Object.fromEntries(Object.entries(headers()).map(([k, v]) => [k.toUpperCase(), v]));
      expect(verifyWebhook({ secret, headers: upper, rawBody, now }).id).toBe(event.id);
    });

    it('refuses a tampered body, another event id, or a wrong secret', () => {
      expect(reason(() => verifyWebhook({ secret, headers: headers(), rawBody: rawBody.replace('"u-1"', '"u-2"'), now }))).toBe('signature-mismatch');
      expect(reason(() => verifyWebhook({ secret, headers: headers({ 'x-fgw-event-id': 'evt_other' }), rawBody, now }))).toBe('signature-mismatch');
      expect(reason(() => verifyWebhook({ secret: `${secret}x`, headers: headers(), rawBody, now }))).toBe('signature-mismatch');
      // A body signed with its own id but delivered under another header id is refused too.
      const other = JSON.stringify({ ...event, id: 'evt_9' });
      expect(reason(() => verifyWebhook({ secret, headers: headers({ 'x-fgw-webhook-signature': `v1=${sig(secret, other)}` }), rawBody: other, now }))).toBe(
        'event-id-mismatch',
      );
    });

    it('refuses a timestamp outside the tolerance, either way, and honours a custom tolerance', () => {
      expect(reason(() => verifyWebhook({ secret, headers: headers(), rawBody, now: now + 301_000 }))).toBe('timestamp-out-of-tolerance');
      expect(reason(() => verifyWebhook({ secret, headers: headers(), rawBody, now: now - 301_000 }))).toBe('timestamp-out-of-tolerance');
      expect(verifyWebhook({ secret, headers: headers(), rawBody, now: now + 300_000 }).id).toBe(event.id);
      expect(reason(() => verifyWebhook({ secret, headers: headers(), rawBody, now: now + 31_000, toleranceSeconds: 30 }))).toBe('timestamp-out-of-tolerance');
      // A re-signed stale delivery is still stale: the timestamp is inside the signature.
      const old = String(now / 1000 - 3600);
      expect(reason(() => verifyWebhook({ secret, headers: headers({ 'x-fgw-webhook-timestamp': old, 'x-fgw-webhook-signature': `v1=${sig(secret, rawBody, old)}` }), rawBody, now }))).toBe(
        'timestamp-out-of-tolerance',
      );
    });

    it('accepts any of several v1= signatures (secret rotation) and any of several secrets', () => {
      const rotating = `v1=${sig('whsec_old')}, v1=${sig(secret)}`;
      expect(verifyWebhook({ secret, headers: headers({ 'x-fgw-webhook-signature': rotating }), rawBody, now }).id).toBe(event.id);
      expect(verifyWebhook({ secret: ['whsec_new', secret], headers: headers(), rawBody, now }).id).toBe(event.id);
      expect(reason(() => verifyWebhook({ secret, headers: headers({ 'x-fgw-webhook-signature': `v0=${sig(secret)}` }), rawBody, now }))).toBe('malformed-signature');
      expect(reason(() => verifyWebhook({ secret, headers: headers({ 'x-fgw-webhook-signature': `v1=${sig(secret).toUpperCase().slice(2)}` }), rawBody, now }))).toBe(
        'malformed-signature',
      );
    });

    it('refuses missing headers and malformed timestamps', () => {
      expect(reason(() => verifyWebhook({ secret, headers: headers({ 'x-fgw-webhook-signature': undefined }), rawBody, now }))).toBe('missing-header');
      expect(reason(() => verifyWebhook({ secret, headers: headers({ 'x-fgw-event-id': undefined }), rawBody, now }))).toBe('missing-header');
      expect(reason(() => verifyWebhook({ secret, headers: headers({ 'x-fgw-webhook-timestamp': '1.5e9' }), rawBody, now }))).toBe('malformed-timestamp');
    });
  });

  describe('multipart body', () => {
    /** Parses the produced body with busboy (what the gateway uses), so framing errors show. */
    async function parse(body: { contentType: string; open(): AsyncIterable<Uint8Array> }) {
      const chunks: Buffer[] = [];
      for await (const c of body.open()) chunks.push(Buffer.from(c));
      const bytes = Buffer.concat(chunks);
      const fields: Record<string, string> = {};
      const files: { name: string; filename: string; mimeType: string; bytes: number }[] = [];
      await new Promise<void>((resolve, reject) => {
        const bb = busboy({ headers: { 'content-type': body.contentType } });
        bb.on('field', (name, value) => (fields[name] = value));
        bb.on('file', (name, stream, info) => {
          let n = 0;
          stream.on('data', (d: Buffer) => (n += d.length));
          stream.on('end', () => files.push({ name, filename: info.filename ?? '', mimeType: info.mimeType, bytes: n }));
        });
        bb.on('close', resolve);
        bb.on('error', reject);
        bb.end(bytes);
      });
      return { length: bytes.length, fields, files };
    }

    it('frames fields then the photo part; Content-Length is the exact byte count; bytes can be sent twice', async () => {
      const body = await multipartBody(Buffer.alloc(1000, 7), { fields: { title: 'Sünset "x"', tags: 'a b', priority: undefined }, filename: 'p.JPG' });
      const parsed = await parse(body);
      expect(parsed.length).toBe(body.contentLength);
      expect(parsed.fields).toEqual({ title: 'Sünset "x"', tags: 'a b' });
      expect(parsed.files).toEqual([{ name: 'photo', filename: 'p.JPG', mimeType: 'image/jpeg', bytes: 1000 }]);
      expect(body.replayable).toBe(true);
      expect((await parse(body)).files[0].bytes).toBe(1000);
    });

    it('streams a Readable once (no length unless given) and refuses to read it again', async () => {
      const body = await multipartBody(Readable.from([Buffer.alloc(10), Buffer.alloc(5)]), { fields: {}, filename: 'v.mov' });
      expect(body.contentLength).toBeUndefined();
      expect(body.replayable).toBe(false);
      expect((await parse(body)).files).toEqual([{ name: 'photo', filename: 'v.mov', mimeType: 'video/quicktime', bytes: 15 }]);
      expect(() => body.open()[Symbol.asyncIterator]().next()).toThrow(/only once/);
      const sized = await multipartBody(Readable.from([Buffer.alloc(15)]), { fields: {}, size: 15 });
      expect((await parse(sized)).length).toBe(sized.contentLength);
    });
  });

  describe('retries', () => {
    const problem = (status: number, code: string) => JSON.stringify({ type: `urn:flickr-gateway:problem:${code}`, title: 't', status });
    /** A fetch that answers from `script` in order and records what it was sent. */
    const scripted = (script: Array<() => Response>) => {
      const calls: Headers[] = [];
      const impl = (async (_url: string, init: RequestInit) => {
        calls.push(new Headers(init.headers));
        const next = script.shift();
        if (!next) throw new Error('no answer scripted');
        return next();
      }) as unknown as typeof fetch;
      return { calls, impl };
    };
    const ok = () => new Response(JSON.stringify({ user_id: 'u' }), { status: 200 });

    it('repeats a GET after 503 and 429 as Retry-After says, signing each try afresh', async () => {
      const f = scripted([
        () => new Response(problem(503, 'database-unavailable'), { status: 503, headers: { 'retry-after': '0' } }),
        () => new Response(problem(429, 'rate-limited'), { status: 429, headers: { 'retry-after': '0' } }),
        ok,
      ]);
      const gw = new GatewayClient({ baseUrl: 'http://gw.test', keyId: 'abcdefgh2345', signingSecret: 'fgws_x', fetch: f.impl });
      expect(await gw.users.get('u')).toEqual({ user_id: 'u' });
      expect(f.calls).toHaveLength(3);
      expect(new Set(f.calls.map((h) => h.get('x-fgw-nonce'))).size).toBe(3);
    });

    it('gives up after maxRetries, never repeats a POST, and does not retry other errors', async () => {
      const unavailable = () => new Response(problem(503, 'not-ready'), { status: 503, headers: { 'retry-after': '0' } });
      const three = scripted([unavailable, unavailable, unavailable, ok]);
      await expect(new GatewayClient({ baseUrl: 'http://gw.test', apiKey: 'fgw_abcdefgh2345_s', fetch: three.impl }).users.get('u')).rejects.toBeInstanceOf(UnavailableError);
      expect(three.calls).toHaveLength(3);
      const post = scripted([unavailable, ok]);
      await expect(new GatewayClient({ baseUrl: 'http://gw.test', apiKey: 'fgw_abcdefgh2345_s', fetch: post.impl }).connectSessions.create({ user_id: 'u', perms: 'read' })).rejects.toBeInstanceOf(UnavailableError);
      expect(post.calls).toHaveLength(1);
      const notFound = scripted([() => new Response(problem(404, 'not-found'), { status: 404 }), ok]);
      await expect(new GatewayClient({ baseUrl: 'http://gw.test', apiKey: 'fgw_abcdefgh2345_s', fetch: notFound.impl }).users.get('u')).rejects.toBeInstanceOf(NotFoundError);
      expect(notFound.calls).toHaveLength(1);
    });

    it('a lost connection on a GET is retried; with retries off it is a GatewayConnectionError', async () => {
      const lost = () => {
        throw new TypeError('fetch failed');
      };
      const f = scripted([lost, ok]);
      expect(await new GatewayClient({ baseUrl: 'http://gw.test', apiKey: 'fgw_abcdefgh2345_s', fetch: f.impl, retry: { maxDelaySeconds: 1 } }).users.get('u')).toEqual({ user_id: 'u' });
      const g = scripted([lost]);
      const error = await new GatewayClient({ baseUrl: 'http://gw.test', apiKey: 'fgw_abcdefgh2345_s', fetch: g.impl, retry: { maxRetries: 0 } }).users.get('u').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(GatewayConnectionError);
    });
  });

  describe('uploads are streamed', () => {
    it('a file path goes out as a stream in bounded chunks, with its exact Content-Length and the Idempotency-Key', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'fgw-sdk-stream-'));
      try {
        const path = join(dir, 'big.jpg');
        writeFileSync(path, Buffer.alloc(8 * 1024 * 1024, 1));
        let largest = 0;
        let total = 0;
        let headers = new Headers();
        const impl = (async (_url: string, init: RequestInit) => {
          headers = new Headers(init.headers);
          expect(init.body).toBeInstanceOf(ReadableStream);
          for await (const chunk of init.body as ReadableStream<Uint8Array>) {
            largest = Math.max(largest, chunk.byteLength);
            total += chunk.byteLength;
          }
          return new Response(JSON.stringify({ job_id: 'j', status: 'queued', status_url: '/v1/uploads/j' }), { status: 202 });
        }) as unknown as typeof fetch;
        const gw = new GatewayClient({ baseUrl: 'http://gw.test', apiKey: 'fgw_abcdefgh2345_s', fetch: impl });
        const result = await gw.uploads.create('u', path, { idempotencyKey: 'k-1' });
        expect(result).toEqual({ job_id: 'j', status: 'queued', status_url: '/v1/uploads/j', idempotencyKey: 'k-1' });
        expect(total).toBe(Number(headers.get('content-length')));
        expect(total).toBeGreaterThan(8 * 1024 * 1024);
        // Never the whole file in one piece: at most one read-stream buffer (256 KiB) at a time.
        expect(largest).toBeLessThanOrEqual(256 * 1024);
        expect(headers.get('idempotency-key')).toBe('k-1');
        expect(headers.get('x-api-key')).toBe('fgw_abcdefgh2345_s');
        expect(headers.get('content-type')).toMatch(/^multipart\/form-data; boundary=fgw-sdk-[0-9a-f]{32}$/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('types (checked by the root typecheck, which fails if an expected error disappears)', () => {
    it('upload fields, nullable job fields and webhook data are typed as the API takes and answers them', () => {
      const fields: UploadFields = { title: 't', tags: 'a b', is_public: '0', safety_level: '2', priority: 'low' };
      // @ts-expect-error: not an upload field
      const misspelt: UploadFields = { titel: 't' };
      // @ts-expect-error: is_public is '0' or '1'
      const notAFlag: UploadFields = { is_public: 'yes' };
      const job = { photo_id: '123', reason: null, started_at: null, finished_at: null } as UploadJob;
      const photo: string | null = job.photo_id;
      const returnUrl: string | null = ({ return_url: null } as ConnectSession).return_url;
      const event = { type: 'connection.created', data: { state: 'connected', nsid: 'n', username: 'u', perms: 'read' } } as WebhookEvent;
      const nsid = event.type === 'connection.created' ? event.data.nsid : undefined;
      expect([fields.title, misspelt, notAFlag, photo, returnUrl, nsid]).toEqual(['t', { titel: 't' }, { is_public: 'yes' }, '123', null, 'n']);
    });
  });

  describe('Paginator', () => {
    it('follows next_cursor to the last page, and starts again on each walk', async () => {
      const pages: Record<string, { items: number[]; next_cursor: string | null }> = {
        first: { items: [1, 2], next_cursor: 'c2' },
        c2: { items: [3, 4], next_cursor: 'c3' },
        c3: { items: [5], next_cursor: null },
      };
      const asked: (string | undefined)[] = [];
      const list = new Paginator<number>(async (cursor) => {
        asked.push(cursor);
        return pages[cursor ?? 'first'];
      });
      expect(await list.toArray()).toEqual([1, 2, 3, 4, 5]);
      expect(asked).toEqual([undefined, 'c2', 'c3']);
      expect(await list.toArray(3)).toEqual([1, 2, 3]);
      const seen: number[] = [];
      for await (const page of list.pages()) seen.push(page.items.length);
      expect(seen).toEqual([2, 2, 1]);
    });
  });
});
