import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { getConnectionToken } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import type { IssuedApiKey } from '../../src/auth/api-key.view';
import { UploadLifecycle } from '../../src/uploads/upload-lifecycle.service';
import { UploadsConfig } from '../../src/uploads/uploads.config';
import type { AppProcess } from '../support/api-process';
import { createApiKey } from '../support/factories/api-key.factory';
import { connectViaOob } from '../support/factories/flickr.factory';
import { startAppOnFakeFlickr } from '../support/fake-flickr-app';
import { waitFor } from '../support/processes';
import type { TestApp } from '../support/test-app';
import { sendUpload, sharedKmsEnv, startWorker } from '../support/uploads';
import { type ReceivedWebhook, WebhookReceiver } from '../support/webhook-receiver';

type Fake = Awaited<ReturnType<typeof startAppOnFakeFlickr>>['fake'];
type Json = Record<string, unknown>;

/**
 * An implementation of docs/webhooks.md's verification written from the spec, independent of src/webhooks:
 * the four-line string to sign, HMAC-SHA256 keyed by the whole secret string, `v1=` hex, a 300 s window.
 */
function verifiedBySpec(secret: string, r: ReceivedWebhook): boolean {
  const timestamp = String(r.headers['x-fgw-webhook-timestamp'] ?? '');
  const eventId = String(r.headers['x-fgw-event-id'] ?? '');
  const signature = String(r.headers['x-fgw-webhook-signature'] ?? '');
  if (!/^\d+$/.test(timestamp) || Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) return false;
  const bodyHash = createHash('sha256').update(r.body).digest('hex');
  const text = `FGW1-WEBHOOK-HMAC-SHA256\n${timestamp}\n${eventId}\n${bodyHash}`;
  const expected = Buffer.from(`v1=${createHmac('sha256', Buffer.from(secret, 'utf8')).update(text, 'utf8').digest('hex')}`);
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const EVENT_TYPES = [
  'upload.completed',
  'upload.failed',
  'upload.expired',
  'upload.cancelled',
  'connection.created',
  'connection.reauthorization_required',
  'connection.erased',
];

describe('webhooks (API + worker process + a real receiver on 127.0.0.1)', () => {
  let fake: Fake;
  let t: TestApp;
  let worker: AppProcess | undefined;
  const receivers: WebhookReceiver[] = [];

  beforeAll(async () => {
    ({ fake, t } = await startAppOnFakeFlickr({
      ...sharedKmsEnv(),
      RATE_LIMIT_ENABLED: 'false',
      UPLOADS_TICKET_POLL_MS: '20',
      UPLOADS_DISPATCH_INTERVAL_MS: '50',
      UPLOADS_RETRY_BASE_MS: '50',
      WEBHOOKS_RETRY_BASE_MS: '100',
      WEBHOOKS_RETRY_CAP_MS: '300',
      WEBHOOKS_REQUEST_TIMEOUT_MS: '1000',
      WEBHOOKS_SWEEP_INTERVAL_MS: '1000',
    }));
  });
  afterAll(async () => {
    await worker?.stop();
    await Promise.all(receivers.map((r) => r.close()));
    await t.close();
    await fake.close();
  });

  /** The worker process (test 1 starts it after its API-only phase; a test run alone starts it itself). */
  const ensureWorker = async () => {
    worker ??= await startWorker();
  };
  const receiver = async () => {
    const r = await WebhookReceiver.start();
    receivers.push(r);
    return r;
  };
  const call = async (key: IssuedApiKey, method: string, path: string, body?: unknown): Promise<{ status: number; body: Json }> => {
    const res = await fetch(`${t.url}${path}`, {
      method,
      headers: { 'x-api-key': key.api_key, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Json) : {} };
  };
  const register = async (key: IssuedApiKey, url: string, extra: Json = {}) => {
    const res = await call(key, 'POST', '/v1/webhook-endpoints', { url, ...extra });
    expect(res.status).toBe(201);
    return res.body as { id: string; secret: string; url: string; events: string[] };
  };
  const log = async (key: IssuedApiKey, endpointId: string) => {
    const res = await call(key, 'GET', `/v1/webhook-endpoints/${endpointId}/deliveries?limit=100`);
    expect(res.status).toBe(200);
    return res.body.items as Json[];
  };
  /** The first test's client, endpoint and receiver; the second test continues with them. */
  let first: { key: IssuedApiKey; endpoint: { id: string; secret: string }; r: WebhookReceiver } | undefined;
  /** webhook_delivery_attempts_total by outcome, from the worker's /metrics. */
  const attemptCounts = async (): Promise<Record<string, number>> => {
    const text = await (await fetch(`${worker!.url}/metrics`)).text();
    const counts: Record<string, number> = {};
    for (const m of text.matchAll(/^webhook_delivery_attempts_total\{outcome="([a-z_]+)"\} (\d+)$/gm)) counts[m[1]] = Number(m[2]);
    return counts;
  };
  const db = () => t.app.get<Connection>(getConnectionToken(), { strict: false }).db!;
  const jobStatus = async (key: IssuedApiKey, id: string) => (await call(key, 'GET', `/v1/uploads/${id}`)).body.status as string;

  it('the API only records: with no worker running the receiver sees no connection while the emitting routes answer; the worker then delivers every event in sequence order, each signed', async () => {
    const r = await receiver();
    r.always('hang');
    const key = await createApiKey(t.app);
    const endpoint = await register(key, r.url);
    expect(endpoint.id).toMatch(/^we_[0-9a-f]{24}$/);
    expect(endpoint.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(endpoint.events).toEqual(EVENT_TYPES);

    // connection.created, through the OAuth routes.
    expect((await call(key, 'PUT', '/v1/users/u-1')).status).toBe(200);
    await connectViaOob(t.url, key.api_key, 'u-1');
    // upload.cancelled: queued (no worker), then cancelled by the client.
    const toCancel = await sendUpload(t.url, key.api_key, 'u-1', { bytes: 128 });
    expect(toCancel.status).toBe(202);
    const cancelled = await call(key, 'DELETE', `/v1/uploads/${toCancel.body.job_id as string}`);
    expect(cancelled.status).toBeLessThan(300);
    // upload.expired: queued and never started within UPLOADS_JOB_TTL_MS (the expiry sweep, run as at a later time).
    const second = await sendUpload(t.url, key.api_key, 'u-1', { bytes: 128 });
    expect(second.status).toBe(202);
    const ttl = t.app.get(UploadsConfig).UPLOADS_JOB_TTL_MS;
    expect(await t.app.get(UploadLifecycle).expireQueued(Date.now() + ttl + 60_000)).toEqual([second.body.job_id]);
    expect(await jobStatus(key, second.body.job_id as string)).toBe('expired');

    // Recorded, queued, not attempted: the API process has no delivery processor and made no outbound call.
    const pending = await log(key, endpoint.id);
    expect(pending.map((d) => [d.event_type, d.status, d.attempts])).toEqual([
      ['upload.expired', 'pending', 0],
      ['upload.cancelled', 'pending', 0],
      ['connection.created', 'pending', 0],
    ]);
    expect(r.connections).toBe(0);
    expect(r.received).toHaveLength(0);

    // The worker starts: the receiver accepts and never answers, so the first event times out and is retried;
    // the later ones wait for it (same endpoint and user).
    worker = await startWorker();
    await waitFor(async () => r.received.length >= 2, { timeoutMs: 30_000 });
    const hung = await log(key, endpoint.id);
    const created = hung.find((d) => d.event_type === 'connection.created')!;
    expect(created.attempts).toBeGreaterThanOrEqual(1);
    expect(['failed', 'pending']).toContain(created.status);
    expect(new Set(r.received.map((x) => x.headers['x-fgw-event-type']))).toEqual(new Set(['connection.created']));

    // The endpoint is down (it never answers) and the worker is busy with it: the API still answers the routes that
    // emit events (here another user's connection through the OAuth routes) and only records the event.
    expect((await call(key, 'PUT', '/v1/users/u-2')).status).toBe(200);
    await connectViaOob(t.url, key.api_key, 'u-2');
    const u2 = await call(key, 'GET', '/v1/users/u-2');
    expect(u2.status).toBe(200);
    expect((u2.body.flickr as Json).state).toBe('connected');
    expect((await log(key, endpoint.id))[0]).toMatchObject({ event_type: 'connection.created', status: 'pending' });

    r.always(200);
    await waitFor(async () => (await log(key, endpoint.id)).every((d) => d.status === 'succeeded'), { timeoutMs: 30_000 });
    const done = await log(key, endpoint.id);
    expect(done.find((d) => d.event_type === 'connection.created')!.last_error).toBeNull();
    const delivered = r.delivered().filter((b) => b.user_id === 'u-1');
    expect(delivered.map((b) => b.type)).toEqual(['connection.created', 'upload.cancelled', 'upload.expired']);
    expect(delivered.map((b) => b.sequence)).toEqual([1, 2, 3]);
    for (const x of r.received) expect(verifiedBySpec(endpoint.secret, x)).toBe(true);
    // Every attempt of one event carried the same event id and the same bytes.
    const attemptsOfCreated = r.forEvent(delivered[0].id as string);
    expect(attemptsOfCreated.length).toBeGreaterThanOrEqual(2);
    expect(new Set(attemptsOfCreated.map((x) => x.body.toString('hex'))).size).toBe(1);
    first = { key, endpoint, r };
  }, 120_000);

  it('each of the 7 event types reaches the receiver, signed by the spec, with the documented headers and payload (continues the endpoint and user of the test above)', async () => {
    expect(first).toBeDefined();
    const { key, endpoint, r } = first!;
    // upload.completed
    const ok = await sendUpload(t.url, key.api_key, 'u-1', { bytes: 256 }, { title: 'webhook-ok' });
    expect(ok.status).toBe(202);
    await waitFor(async () => (await jobStatus(key, ok.body.job_id as string)) === 'completed', { timeoutMs: 30_000 });
    // connection.reauthorization_required, then upload.failed: the user revoked the app on Flickr (code 98).
    fake.revokeUser('12345678@N00');
    const failing = await sendUpload(t.url, key.api_key, 'u-1', { bytes: 256 }, { title: 'webhook-fail' });
    expect(failing.status).toBe(202);
    await waitFor(async () => (await jobStatus(key, failing.body.job_id as string)) === 'failed', { timeoutMs: 30_000 });
    const mine = () => r.delivered().filter((b) => b.user_id === 'u-1');
    await waitFor(async () => mine().length >= 6, { timeoutMs: 30_000 });
    // connection.erased
    expect((await call(key, 'DELETE', '/v1/users/u-1')).status).toBe(204);
    await waitFor(async () => mine().length >= 7, { timeoutMs: 30_000 });

    const delivered = mine();
    expect(delivered.map((b) => b.type).sort()).toEqual([...EVENT_TYPES].sort());
    expect(delivered.slice(3).map((b) => b.type)).toEqual(['upload.completed', 'connection.reauthorization_required', 'upload.failed', 'connection.erased']);
    // One user's events arrive in sequence order, numbered 1, 2, 3...
    expect(delivered.map((b) => b.sequence)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    for (const body of delivered) {
      expect(Object.keys(body).sort()).toEqual(['created_at', 'data', 'id', 'sequence', 'type', 'user_id', 'version']);
      expect(body).toMatchObject({ version: 1, user_id: 'u-1' });
      expect(body.id).toMatch(/^evt_[0-9a-f]{32}$/);
      expect(new Date(body.created_at as string).toISOString()).toBe(body.created_at);
    }
    const byType = Object.fromEntries(delivered.map((b) => [b.type as string, b.data as Json]));
    expect(byType['upload.completed']).toMatchObject({ job_id: ok.body.job_id, status: 'completed', kind: 'upload', photo_id: expect.stringMatching(/^\d+$/) });
    expect(byType['upload.failed']).toMatchObject({ job_id: failing.body.job_id, status: 'failed', reason: 'flickr-reauthorization-required' });
    expect(byType['upload.cancelled']).toMatchObject({ status: 'cancelled', photo_id: null });
    expect(byType['upload.expired']).toMatchObject({ status: 'expired' });
    expect(byType['connection.created']).toMatchObject({ state: 'connected', nsid: '12345678@N00', perms: 'write' });
    expect(byType['connection.reauthorization_required']).toMatchObject({ state: 'reauthorization_required', reason: 'token-rejected' });
    expect(byType['connection.erased']).toEqual({ existed: true });

    for (const x of r.received) {
      expect(verifiedBySpec(endpoint.secret, x)).toBe(true);
      // A wrong secret does not verify: the check above can fail.
      expect(verifiedBySpec(`${endpoint.secret}x`, x)).toBe(false);
      const body = JSON.parse(x.body.toString('utf8')) as Json;
      expect(x.method).toBe('POST');
      expect(x.path).toBe('/hooks');
      expect(x.headers['content-type']).toBe('application/json');
      expect(x.headers['user-agent']).toBe('flickr-gateway-webhooks/1');
      expect(x.headers['x-fgw-event-id']).toBe(body.id);
      expect(x.headers['x-fgw-event-type']).toBe(body.type);
      expect(x.headers['x-fgw-delivery-id']).toMatch(/^wd_[0-9a-f]{24}$/);
      expect(x.headers['x-fgw-webhook-signature']).toMatch(/^v1=[0-9a-f]{64}$/);
      // Never a token or a secret in a payload.
      const text = x.body.toString('utf8');
      for (const secret of fake.issuedSecrets()) expect(text).not.toContain(secret);
      expect(text).not.toContain(key.api_key);
      expect(text).not.toContain(endpoint.secret);
    }
  }, 120_000);

  it('a receiver answering 500 three times then 200 gets the event exactly once more after the failures: 4 attempts, one event id, all in the log; a redelivery sends it a 5th time', async () => {
    await ensureWorker();
    const before = await attemptCounts();
    const r = await receiver();
    r.answer([500, 500, 500], 200);
    const key = await createApiKey(t.app);
    const endpoint = await register(key, r.url, { events: ['connection.created', 'connection.erased'] });
    expect((await call(key, 'PUT', '/v1/users/u-retry')).status).toBe(200);
    await connectViaOob(t.url, key.api_key, 'u-retry');
    await waitFor(async () => (await log(key, endpoint.id))[0]?.status === 'succeeded', { timeoutMs: 30_000 });
    const [entry] = await log(key, endpoint.id);
    expect(entry).toMatchObject({ event_type: 'connection.created', status: 'succeeded', attempts: 4, last_status_code: 200, last_error: null, next_attempt_at: null });
    expect(entry.id).toMatch(/^wd_[0-9a-f]{24}$/);
    expect(r.received.map((x) => x.answered)).toEqual([500, 500, 500, 200]);
    expect(new Set(r.received.map((x) => x.headers['x-fgw-event-id']))).toEqual(new Set([entry.event_id]));
    expect(new Set(r.received.map((x) => x.headers['x-fgw-delivery-id']))).toEqual(new Set([entry.id]));
    expect(new Set(r.received.map((x) => x.body.toString('hex'))).size).toBe(1);
    for (const x of r.received) expect(verifiedBySpec(endpoint.secret, x)).toBe(true);
    // The worker counted the attempts by outcome (webhook_delivery_attempts_total).
    const after = await attemptCounts();
    expect((after.http_error ?? 0) - (before.http_error ?? 0)).toBeGreaterThanOrEqual(3);
    expect((after.succeeded ?? 0) - (before.succeeded ?? 0)).toBeGreaterThanOrEqual(1);

    // Manual redelivery: 202, a fresh attempt now with the same event id and bytes.
    const again = await call(key, 'POST', `/v1/webhook-endpoints/${endpoint.id}/deliveries/${entry.id as string}/redeliver`);
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({ id: entry.id, event_id: entry.event_id, status: 'pending' });
    await waitFor(async () => r.received.length >= 5, { timeoutMs: 30_000 });
    await waitFor(async () => (await log(key, endpoint.id))[0]?.status === 'succeeded', { timeoutMs: 30_000 });
    expect(r.received[4].headers['x-fgw-event-id']).toBe(entry.event_id);
    expect(r.received[4].body.equals(r.received[0].body)).toBe(true);
    expect((await log(key, endpoint.id))[0]).toMatchObject({ attempts: 5, status: 'succeeded' });

    // A later event of the same endpoint arrives; the first one was still received exactly 5 times (4 + the redelivery).
    expect((await call(key, 'DELETE', '/v1/users/u-retry')).status).toBe(204);
    await waitFor(async () => r.received.some((x) => x.headers['x-fgw-event-type'] === 'connection.erased'), { timeoutMs: 30_000 });
    expect(r.forEvent(entry.event_id as string)).toHaveLength(5);
  }, 120_000);

  it('another client never sees, lists, redelivers or deletes your endpoints and deliveries (404 not-found)', async () => {
    await ensureWorker();
    const r = await receiver();
    const owner = await createApiKey(t.app);
    const other = await createApiKey(t.app);
    const endpoint = await register(owner, r.url, { events: ['connection.created'] });
    expect((await call(owner, 'PUT', '/v1/users/u-own')).status).toBe(200);
    await connectViaOob(t.url, owner.api_key, 'u-own');
    await waitFor(async () => (await log(owner, endpoint.id))[0]?.status === 'succeeded', { timeoutMs: 30_000 });
    const [delivery] = await log(owner, endpoint.id);

    const attempts = [
      await call(other, 'GET', `/v1/webhook-endpoints/${endpoint.id}`),
      await call(other, 'GET', `/v1/webhook-endpoints/${endpoint.id}/deliveries`),
      await call(other, 'POST', `/v1/webhook-endpoints/${endpoint.id}/deliveries/${delivery.id as string}/redeliver`),
      await call(other, 'DELETE', `/v1/webhook-endpoints/${endpoint.id}`),
    ];
    for (const res of attempts) {
      expect(res.status).toBe(404);
      expect(res.body.type).toBe('urn:flickr-gateway:problem:not-found');
      expect(res.body.requestId).toEqual(expect.any(String));
    }
    expect((await call(other, 'GET', '/v1/webhook-endpoints')).body).toEqual({ items: [], next_cursor: null });
    // The other client's own endpoint does not open the owner's deliveries either.
    const own = await register(other, r.url);
    expect((await call(other, 'POST', `/v1/webhook-endpoints/${own.id}/deliveries/${delivery.id as string}/redeliver`)).status).toBe(404);
    // Still there for the owner, still delivered once.
    expect((await call(owner, 'GET', `/v1/webhook-endpoints/${endpoint.id}`)).status).toBe(200);
    expect(r.received).toHaveLength(1);
    // Malformed ids are refused before any lookup.
    const bad = await call(other, 'GET', '/v1/webhook-endpoints/not-an-id');
    expect(bad.status).toBe(400);
    expect(bad.body.type).toBe('urn:flickr-gateway:problem:validation-failed');
  }, 120_000);

  it('endpoints: created with a secret shown once, listed a page at a time, filtered by event type, URL rules, a cap per client', async () => {
    await ensureWorker();
    const r = await receiver();
    const key = await createApiKey(t.app);
    const onlyErased = await register(key, r.url, { events: ['connection.erased'], description: 'erasures only' });
    expect(onlyErased).toMatchObject({ events: ['connection.erased'], description: 'erasures only', url: r.url });
    const second = await register(key, `${r.url}?second=1`, { events: ['connection.erased', 'connection.created', 'connection.erased'] });
    expect(second.events).toEqual(['connection.created', 'connection.erased']);
    const third = await register(key, `${r.url}?third=1`);

    const got = await call(key, 'GET', `/v1/webhook-endpoints/${onlyErased.id}`);
    expect(got.status).toBe(200);
    expect(got.body).toEqual({ id: onlyErased.id, url: r.url, events: ['connection.erased'], description: 'erasures only', created_at: expect.any(String) });
    const page1 = await call(key, 'GET', '/v1/webhook-endpoints?limit=2');
    expect((page1.body.items as Json[]).map((e) => e.id)).toEqual([onlyErased.id, second.id]);
    expect(JSON.stringify(page1.body)).not.toContain('whsec_');
    const page2 = await call(key, 'GET', `/v1/webhook-endpoints?limit=2&cursor=${page1.body.next_cursor as string}`);
    expect(page2.body).toEqual({ items: [expect.objectContaining({ id: third.id })], next_cursor: null });
    expect((await call(key, 'GET', '/v1/webhook-endpoints?cursor=bogus')).status).toBe(400);

    const refused = async (url: string) => {
      const res = await call(key, 'POST', '/v1/webhook-endpoints', { url });
      expect({ url, status: res.status, type: res.body.type }).toEqual({ url, status: 400, type: 'urn:flickr-gateway:problem:webhook-url-not-allowed' });
    };
    await refused('ftp://127.0.0.1/x');
    await refused('http://user:pw@127.0.0.1/x');
    await refused('not a url');
    await refused('http://127.0.0.1/x#frag');
    const badEvent = await call(key, 'POST', '/v1/webhook-endpoints', { url: r.url, events: ['upload.exploded'] });
    expect(badEvent.status).toBe(400);
    expect(badEvent.body.type).toBe('urn:flickr-gateway:problem:validation-failed');

    // The filter: a connection.created of this client reaches `second` and `third` only; the erasure all three.
    expect((await call(key, 'PUT', '/v1/users/u-filter')).status).toBe(200);
    await connectViaOob(t.url, key.api_key, 'u-filter');
    expect((await call(key, 'DELETE', '/v1/users/u-filter')).status).toBe(204);
    await waitFor(async () => r.received.filter((x) => x.headers['x-fgw-event-type'] === 'connection.erased').length >= 3, { timeoutMs: 30_000 });
    const types = (path: string) => r.received.filter((x) => x.path === path).map((x) => x.headers['x-fgw-event-type']);
    expect(types('/hooks')).toEqual(['connection.erased']);
    // The erasure dropped the user's earlier events where still undelivered; wherever it arrived, created came first.
    for (const path of ['/hooks?second=1', '/hooks?third=1']) expect(types(path).at(-1)).toBe('connection.erased');

    // The cap (WEBHOOKS_MAX_ENDPOINTS_PER_CLIENT, default 20).
    for (let i = 3; i < 20; i++) await register(key, `${r.url}?n=${i}`);
    const over = await call(key, 'POST', '/v1/webhook-endpoints', { url: r.url });
    expect(over.status).toBe(409);
    expect(over.body).toMatchObject({ type: 'urn:flickr-gateway:problem:webhook-endpoint-limit-reached', limit: 20 });
  }, 120_000);

  it('deleting an endpoint stops its deliveries: its retrying delivery is gone and no later event is sent to it', async () => {
    await ensureWorker();
    const failing = await receiver();
    failing.always(500);
    const sentinel = await receiver();
    const key = await createApiKey(t.app);
    const doomed = await register(key, failing.url, { events: ['connection.created', 'connection.erased'] });
    const witness = await register(key, sentinel.url, { events: ['connection.erased'] });
    expect((await call(key, 'PUT', '/v1/users/u-del')).status).toBe(200);
    await connectViaOob(t.url, key.api_key, 'u-del');
    await waitFor(async () => failing.received.length >= 2, { timeoutMs: 30_000 });
    expect((await log(key, doomed.id))[0]).toMatchObject({ status: 'failed', last_status_code: 500, last_error: 'HTTP 500' });

    expect((await call(key, 'DELETE', `/v1/webhook-endpoints/${doomed.id}`)).status).toBe(204);
    const atDeletion = failing.received.length;
    expect((await call(key, 'GET', `/v1/webhook-endpoints/${doomed.id}`)).status).toBe(404);
    expect((await call(key, 'GET', `/v1/webhook-endpoints/${doomed.id}/deliveries`)).status).toBe(404);
    expect(await db().collection('webhook_deliveries').countDocuments({ endpoint_id: doomed.id })).toBe(0);
    // A later event reaches the other endpoint; the deleted one got nothing more (an attempt in flight at most).
    expect((await call(key, 'DELETE', '/v1/users/u-del')).status).toBe(204);
    await waitFor(async () => sentinel.received.length >= 1, { timeoutMs: 30_000 });
    expect(failing.received.length).toBeLessThanOrEqual(atDeletion + 1);
    expect(failing.received.filter((x) => x.headers['x-fgw-event-type'] === 'connection.erased')).toHaveLength(0);
    expect(witness.id).toMatch(/^we_/);
  }, 120_000);

  it("erasing a user sends connection.erased and drops the user's undelivered events and stored payloads at once", async () => {
    await ensureWorker();
    const r = await receiver();
    // connection.created always fails (so it is still being retried when the user is erased); the rest succeeds.
    r.answerBy((headers) => (headers['x-fgw-event-type'] === 'connection.created' ? 500 : undefined));
    const key = await createApiKey(t.app);
    const endpoint = await register(key, r.url, { events: ['connection.created', 'connection.erased'] });
    expect((await call(key, 'PUT', '/v1/users/u-erase')).status).toBe(200);
    await connectViaOob(t.url, key.api_key, 'u-erase');
    await waitFor(async () => r.received.length >= 1, { timeoutMs: 30_000 });
    const createdEvent = r.received[0].headers['x-fgw-event-id'] as string;
    expect((await log(key, endpoint.id))[0]).toMatchObject({ event_type: 'connection.created', status: 'failed' });

    expect((await call(key, 'DELETE', '/v1/users/u-erase')).status).toBe(204);
    await waitFor(async () => r.received.some((x) => x.headers['x-fgw-event-type'] === 'connection.erased' && x.answered === 200), { timeoutMs: 30_000 });
    const entries = await log(key, endpoint.id);
    expect(entries.map((d) => [d.event_type, d.status])).toEqual([['connection.erased', 'succeeded']]);
    expect(await db().collection('webhook_events').countDocuments({ _id: createdEvent } as never)).toBe(0);
    expect(await db().collection('webhook_events').countDocuments({ user_id: 'u-erase' })).toBe(1);
    // The retrying connection.created was dropped: once the erasure was delivered, no attempt of it was made any more
    // (an attempt in flight at the erasure at most, which is before the erased event in arrival order).
    const erasedAt = r.received.findIndex((x) => x.headers['x-fgw-event-type'] === 'connection.erased');
    expect(r.received.slice(erasedAt + 1).filter((x) => x.headers['x-fgw-event-id'] === createdEvent)).toEqual([]);
  }, 120_000);
});
