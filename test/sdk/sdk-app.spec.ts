import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { IssuedApiKey } from '../../src/auth/api-key.view';
import {
  AuthenticationError,
  ConflictError,
  GatewayClient,
  type GatewayClientOptions,
  NotFoundError,
  RateLimitError,
  ValidationError,
} from '../../packages/sdk/src';
import { createApiKey } from '../support/factories/api-key.factory';
import { startAppOnFakeFlickr } from '../support/fake-flickr-app';
import type { TestApp } from '../support/test-app';
import { connectedClient } from '../support/uploads';

const MiB = 1024 * 1024;

/**
 * The SDK against the real app: in-process API on this file's own FerretDB database, Redis prefix and
 * OpenBao, Flickr faked. No worker runs, so accepted uploads stay queued (what these tests count).
 */
describe('SDK against the running app', () => {
  let fake: Awaited<ReturnType<typeof startAppOnFakeFlickr>>['fake'];
  let t: TestApp;
  let dir: string;

  beforeAll(async () => {
    ({ fake, t } = await startAppOnFakeFlickr());
    dir = mkdtempSync(join(tmpdir(), 'fgw-sdk-'));
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await t?.close();
    await fake?.close();
  });

  const sdk = (key: IssuedApiKey, mode: 'api-key' | 'hmac', extra: Partial<GatewayClientOptions> = {}) =>
    new GatewayClient(
      mode === 'api-key'
        ? { baseUrl: t.url, apiKey: key.api_key, ...extra }
        : { baseUrl: t.url, keyId: key.key_id, signingSecret: key.signing_secret, ...extra },
    );
  const file = (bytes: number, name = 'photo.jpg') => {
    const path = join(dir, `${randomBytes(4).toString('hex')}-${name}`);
    writeFileSync(path, Buffer.alloc(bytes, 0xab));
    return path;
  };

  describe('authentication', () => {
    it('calls with the API key', async () => {
      const key = await createApiKey(t.app);
      const gw = sdk(key, 'api-key');
      expect(await gw.users.register('key-user')).toMatchObject({ user_id: 'key-user', flickr: { state: 'not_connected' } });
      expect((await gw.users.get('key-user')).user_id).toBe('key-user');
    });

    it('signs requests (no API key sent): path ids, query strings and JSON bodies', async () => {
      const { key, user } = await connectedClient(t.app, fake);
      const seen: Headers[] = [];
      const gw = sdk(key, 'hmac', {
        fetch: (async (url: string, init: RequestInit) => {
          seen.push(new Headers(init.headers));
          return fetch(url, init);
        }) as typeof fetch,
      });
      expect((await gw.users.register('a:b.c_d-1')).user_id).toBe('a:b.c_d-1');
      // A query string, sorted differently than sent: the signature covers it as sent.
      const connected = await gw.users.list({ state: 'connected', limit: 10 }).toArray();
      expect(connected.map((u) => u.user_id)).toEqual([user]);
      // A JSON body through the Flickr proxy.
      const answer = await gw.flickr.call(user, 'flickr.photos.search', { text: 'sunset', per_page: 5 }, { noCache: true });
      expect(answer.stat).toBe('ok');
      const session = await gw.connectSessions.create({ user_id: 'cs-user', perms: 'read' });
      expect(session.connect_url).toMatch(/^https?:\/\//);
      expect(await gw.connectSessions.get(session.session_id)).toMatchObject({ session_id: session.session_id, user_id: 'cs-user', status: 'open' });
      expect(seen).toHaveLength(5);
      for (const h of seen) {
        expect(h.get('x-api-key')).toBeNull();
        expect(h.get('x-fgw-key-id')).toBe(key.key_id);
        expect(h.get('x-fgw-signature')).toMatch(/^[0-9a-f]{64}$/);
      }
      expect(new Set(seen.map((h) => h.get('x-fgw-nonce'))).size).toBe(seen.length);
    });

    it('a wrong signing secret or a wrong key is an AuthenticationError with the request id', async () => {
      const key = await createApiKey(t.app);
      const wrongSecret = new GatewayClient({ baseUrl: t.url, keyId: key.key_id, signingSecret: `${key.signing_secret}x` });
      const error = await wrongSecret.users.get('anyone', { requestId: 'sdk-test-wrong-secret' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AuthenticationError);
      expect(error).toMatchObject({ status: 401, kind: 'authentication', code: 'authentication-failed', requestId: 'sdk-test-wrong-secret' });
      const wrongKey = new GatewayClient({ baseUrl: t.url, apiKey: `${key.api_key.slice(0, -2)}xx` });
      await expect(wrongKey.users.list().first()).rejects.toBeInstanceOf(AuthenticationError);
    });

    it('an upload in HMAC mode needs the API key too (the gateway refuses signed multipart), and says so before sending', async () => {
      const key = await createApiKey(t.app);
      let sent = 0;
      const gw = sdk(key, 'hmac', { fetch: (async () => (sent++, new Response('{}'))) as unknown as typeof fetch });
      await expect(gw.uploads.create('u', file(10))).rejects.toThrow(/X-API-Key/);
      expect(sent).toBe(0);
      // With both, JSON requests are signed and the upload carries the key.
      const both = new GatewayClient({ baseUrl: t.url, apiKey: key.api_key, signingSecret: key.signing_secret });
      await both.users.register('both');
      await expect(both.uploads.create('both', file(10))).resolves.toMatchObject({ status: 'queued' });
    });
  });

  describe('uploads', () => {
    it('the same Idempotency-Key twice gives the same job, and only one job exists', async () => {
      const { key, user } = await connectedClient(t.app, fake);
      const gw = sdk(key, 'api-key');
      const path = file(2 * MiB + 3);
      const first = await gw.uploads.create(user, path, { idempotencyKey: 'sdk-idem-1', fields: { title: 'Sunset', tags: 'sea sky' } });
      expect(first).toMatchObject({ status: 'queued', idempotencyKey: 'sdk-idem-1', status_url: `/v1/uploads/${first.job_id}` });
      const again = await gw.uploads.create(user, path, { idempotencyKey: 'sdk-idem-1', fields: { title: 'Sunset', tags: 'sea sky' } });
      expect(again.job_id).toBe(first.job_id);
      const jobs = await gw.uploads.list({ user_id: user }).toArray();
      expect(jobs.map((j) => j.job_id)).toEqual([first.job_id]);
      expect(await gw.uploads.get(first.job_id)).toMatchObject({ job_id: first.job_id, user_id: user, status: 'queued', bytes: 2 * MiB + 3, filename: expect.stringMatching(/photo\.jpg$/) });
      // The same key for another file (another length) is refused, and makes no job.
      const mismatch = await gw.uploads.create(user, file(100), { idempotencyKey: 'sdk-idem-1' }).catch((e: unknown) => e);
      expect(mismatch).toBeInstanceOf(ValidationError);
      expect(mismatch).toMatchObject({ status: 422, code: 'idempotency-key-mismatch' });
      expect(await gw.uploads.list({ user_id: user }).toArray()).toHaveLength(1);
    });

    it('retries a lost answer with the same generated key: the second try gets the first job', async () => {
      const { key, user } = await connectedClient(t.app, fake);
      const keys: (string | null)[] = [];
      let lost = false;
      const gw = sdk(key, 'api-key', {
        fetch: (async (url: string, init: RequestInit) => {
          const res = await fetch(url, init);
          if (init.method === 'POST') {
            keys.push(new Headers(init.headers).get('idempotency-key'));
            if (!lost) {
              // The gateway accepted the upload, but the answer never reaches the client.
              lost = true;
              await res.text();
              throw new TypeError('fetch failed', { cause: new Error('socket hang up') });
            }
          }
          return res;
        }) as typeof fetch,
      });
      const result = await gw.uploads.create(user, file(MiB));
      expect(keys).toHaveLength(2);
      expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
      expect(keys[1]).toBe(keys[0]);
      expect(result.idempotencyKey).toBe(keys[0]);
      const jobs = await gw.uploads.list({ user_id: user }).toArray();
      expect(jobs.map((j) => j.job_id)).toEqual([result.job_id]);
    });

    it('streams from a Readable (chunked, or with a known size), then cancels the job', async () => {
      const { key, user } = await connectedClient(t.app, fake);
      const gw = sdk(key, 'api-key');
      async function* chunks() {
        for (let i = 0; i < 4; i++) yield Buffer.alloc(MiB, i);
      }
      const chunked = await gw.uploads.create(user, Readable.from(chunks()), { filename: 'clip.mp4', fields: { priority: 'low' } });
      const sized = await gw.uploads.create(user, Readable.from(chunks()), { filename: 'b.png', size: 4 * MiB });
      expect(await gw.uploads.get(chunked.job_id)).toMatchObject({ bytes: 4 * MiB, filename: 'clip.mp4', priority: 'low' });
      expect((await gw.uploads.get(sized.job_id)).bytes).toBe(4 * MiB);
      const cancelled = await gw.uploads.cancel(chunked.job_id);
      expect(cancelled).toMatchObject({ job_id: chunked.job_id, status: 'cancelled' });
      expect((await gw.uploads.list({ user_id: user, status: 'queued' }).toArray()).map((j) => j.job_id)).toEqual([sized.job_id]);
    });

    it('an upload for a user the client never registered is a NotFoundError', async () => {
      const key = await createApiKey(t.app);
      await expect(sdk(key, 'api-key').uploads.create('nobody', file(10))).rejects.toBeInstanceOf(NotFoundError);
    });
  });

  describe('pagination', () => {
    it('walks users over several pages, each once, in order, while new ones are added', async () => {
      const key = await createApiKey(t.app);
      const gw = sdk(key, 'hmac');
      const ids = Array.from({ length: 7 }, (_, i) => `page-user-${i}`);
      for (const id of ids) await gw.users.register(id);
      const seen: string[] = [];
      let pages = 0;
      for await (const page of gw.users.list({ limit: 3 }).pages()) {
        pages++;
        seen.push(...page.items.map((u) => u.user_id));
        // Added during the walk: after our position, so it shows up on a later page, once.
        if (pages === 1) await gw.users.register('page-user-late');
      }
      expect(pages).toBe(3);
      expect(seen).toEqual([...ids, 'page-user-late']);
      expect(new Set(seen).size).toBe(seen.length);
      // The item iterator walks the same list; a cursor resumes it.
      expect(await gw.users.list({ limit: 2 }).toArray()).toEqual(await gw.users.list({ limit: 500 }).toArray());
      const firstPage = await gw.users.list({ limit: 3 }).first();
      const rest = await gw.users.list({ limit: 3, cursor: firstPage.next_cursor! }).toArray();
      expect(rest.map((u) => u.user_id)).toEqual(seen.slice(3));
    });

    it('walks upload jobs over several pages', async () => {
      const { key, user } = await connectedClient(t.app, fake);
      const gw = sdk(key, 'api-key');
      const created: string[] = [];
      for (let i = 0; i < 5; i++) created.push((await gw.uploads.create(user, file(1000 + i))).job_id);
      let pages = 0;
      for await (const _ of gw.uploads.list({ user_id: user, limit: 2 }).pages()) pages++;
      expect(pages).toBe(3);
      const listed = (await gw.uploads.list({ limit: 2 }).toArray()).map((j) => j.job_id);
      // Every job once (order is created_at then job_id, so two jobs accepted in one millisecond may swap).
      expect(listed).toHaveLength(created.length);
      expect([...listed].sort()).toEqual([...created].sort());
    });
  });

  describe('typed errors', () => {
    it('404 → NotFoundError (and erasing a user makes it one)', async () => {
      const key = await createApiKey(t.app);
      const gw = sdk(key, 'hmac');
      await gw.users.register('to-erase');
      await gw.users.erase('to-erase');
      await gw.users.erase('to-erase');
      const error = await gw.users.get('to-erase').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NotFoundError);
      expect(error).toMatchObject({ status: 404, kind: 'not-found', code: 'not-found', requestId: expect.any(String) });
      await expect(gw.uploads.get('00000000-0000-4000-8000-000000000000')).rejects.toBeInstanceOf(NotFoundError);
    });

    it('400 → ValidationError with the failed fields', async () => {
      const gw = sdk(await createApiKey(t.app), 'api-key');
      const error = (await gw.users.list({ limit: 501 }).first().catch((e: unknown) => e)) as ValidationError;
      expect(error).toBeInstanceOf(ValidationError);
      expect(error).toMatchObject({ status: 400, code: 'validation-failed' });
      expect(error.errors.join(' ')).toMatch(/limit/);
      await expect(gw.uploads.list({ cursor: 'not-a-cursor-we-made' }).first()).rejects.toBeInstanceOf(ValidationError);
      await expect(gw.connectSessions.create({ user_id: 'x', perms: 'admin' as 'read' })).rejects.toBeInstanceOf(ValidationError);
    });

    it('409 → ConflictError (a Flickr call for a user who never connected)', async () => {
      const gw = sdk(await createApiKey(t.app), 'hmac');
      await gw.users.register('unconnected');
      const error = await gw.flickr.call('unconnected', 'flickr.photos.search', { text: 'x' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConflictError);
      expect(error).toMatchObject({ status: 409, code: 'flickr-not-connected' });
    });

    it('429 → RateLimitError with retryAfterSeconds; a Retry-After beyond the SDK bound is not waited for', async () => {
      const key = await createApiKey(t.app, { rate_limit_override: 2 });
      const gw = sdk(key, 'api-key', { retry: { maxRetries: 0 } });
      await gw.users.register('limited');
      await gw.users.get('limited');
      const error = (await gw.users.get('limited').catch((e: unknown) => e)) as RateLimitError;
      expect(error).toBeInstanceOf(RateLimitError);
      expect(error).toMatchObject({ status: 429, kind: 'rate-limited', code: 'rate-limited' });
      expect(error.retryAfterSeconds).toBeGreaterThanOrEqual(1);
      expect(error.retryAfterSeconds).toBeLessThanOrEqual(60);

      // Retries on, but the window's Retry-After is longer than maxDelaySeconds: one request, thrown at once.
      let sent = 0;
      const bounded = sdk(key, 'api-key', {
        retry: { maxRetries: 3, maxDelaySeconds: 0 },
        fetch: (async (url: string, init: RequestInit) => (sent++, fetch(url, init))) as typeof fetch,
      });
      await expect(bounded.users.get('limited')).rejects.toBeInstanceOf(RateLimitError);
      expect(sent).toBe(1);
    });
  });
});
