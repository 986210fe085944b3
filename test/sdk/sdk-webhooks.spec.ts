import { randomBytes } from 'node:crypto';
import type { IssuedApiKey } from '../../src/auth/api-key.view';
import { GatewayClient, NotFoundError, ValidationError, WebhookVerificationError, verifyWebhook, type WebhookEvent } from '../../packages/sdk/src';
import type { AppProcess } from '../support/api-process';
import { createApiKey } from '../support/factories/api-key.factory';
import { connectViaOob } from '../support/factories/flickr.factory';
import { startAppOnFakeFlickr } from '../support/fake-flickr-app';
import { waitFor } from '../support/processes';
import type { TestApp } from '../support/test-app';
import { sharedKmsEnv, startWorker } from '../support/uploads';
import { type ReceivedWebhook, WebhookReceiver } from '../support/webhook-receiver';

/**
 * The SDK's webhook endpoint methods and its verifier against real deliveries: the API records events, a
 * worker process delivers them to a receiver on 127.0.0.1, and the SDK verifies what arrived.
 */
describe('SDK webhooks against the running app and worker', () => {
  let fake: Awaited<ReturnType<typeof startAppOnFakeFlickr>>['fake'];
  let t: TestApp;
  let worker: AppProcess | undefined;
  let r: WebhookReceiver;

  beforeAll(async () => {
    ({ fake, t } = await startAppOnFakeFlickr({
      ...sharedKmsEnv(),
      RATE_LIMIT_ENABLED: 'false',
      WEBHOOKS_RETRY_BASE_MS: '100',
      WEBHOOKS_RETRY_CAP_MS: '300',
      WEBHOOKS_REQUEST_TIMEOUT_MS: '2000',
      WEBHOOKS_SWEEP_INTERVAL_MS: '1000',
    }));
    r = await WebhookReceiver.start();
    worker = await startWorker();
  }, 120_000);
  afterAll(async () => {
    await worker?.stop();
    await r?.close();
    await t?.close();
    await fake?.close();
  });

  const sdk = (key: IssuedApiKey) => new GatewayClient({ baseUrl: t.url, apiKey: key.api_key, signingSecret: key.signing_secret });
  const verify = (secret: string, x: ReceivedWebhook, over: Partial<Parameters<typeof verifyWebhook>[0]> = {}) =>
    verifyWebhook({ secret, headers: x.headers, rawBody: x.body, ...over });
  const reason = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(WebhookVerificationError);
      return (e as WebhookVerificationError).reason;
    }
    throw new Error('verification passed');
  };

  it('registers an endpoint, receives real signed deliveries the SDK verifies (and refuses when altered), reads the log, redelivers, deletes', async () => {
    const key = await createApiKey(t.app);
    const gw = sdk(key);
    const endpoint = await gw.webhookEndpoints.create({ url: r.url, events: ['connection.created', 'connection.erased'], description: 'sdk test' });
    expect(endpoint).toMatchObject({ id: expect.stringMatching(/^we_/), url: r.url, events: ['connection.created', 'connection.erased'], description: 'sdk test' });
    expect(endpoint.secret).toMatch(/^whsec_/);
    const fetched = await gw.webhookEndpoints.get(endpoint.id);
    expect(fetched).toEqual({ id: endpoint.id, url: r.url, events: endpoint.events, description: 'sdk test', created_at: endpoint.created_at });

    // connection.created for two users (through the OAuth routes).
    const users = [`wh-a-${randomBytes(3).toString('hex')}`, `wh-b-${randomBytes(3).toString('hex')}`];
    for (const user of users) {
      await gw.users.register(user);
      await connectViaOob(t.url, key.api_key, user);
    }
    // First receipt of each of these users' events (at-least-once: a retried delivery may arrive twice).
    const ours = (type: string) => {
      const ids = new Set<string>();
      return r.received.filter((x) => {
        const id = String(x.headers['x-fgw-event-id']);
        const body = JSON.parse(x.body.toString()) as { user_id?: string; type?: string };
        const match = users.includes(body.user_id ?? '') && body.type === type && !ids.has(id);
        ids.add(id);
        return match;
      });
    };
    await waitFor(async () => ours('connection.created').length >= 2 || undefined, { timeoutMs: 45_000 });
    // Indexed like `users` (two users' events have no order between them).
    const created = users.map((u) => ours('connection.created').find((x) => (JSON.parse(x.body.toString()) as { user_id: string }).user_id === u)!);
    const events = created.map((x) => verify(endpoint.secret, x));
    expect(events.map((e) => [e.type, e.user_id])).toEqual(users.map((u) => ['connection.created', u]));
    for (const e of events) expect(e).toMatchObject({ id: expect.stringMatching(/^evt_/), version: 1, sequence: expect.any(Number), data: expect.objectContaining({ state: 'connected' }) });

    // Tampered body, wrong secret, replay outside the window: refused.
    const tampered = Buffer.from(created[0].body.toString('utf8').replace(users[0], `${users[0]}x`));
    expect(reason(() => verify(endpoint.secret, created[0], { rawBody: tampered }))).toBe('signature-mismatch');
    expect(reason(() => verify(`${endpoint.secret}x`, created[0]))).toBe('signature-mismatch');
    const signedAt = Number(created[0].headers['x-fgw-webhook-timestamp']) * 1000;
    expect(reason(() => verify(endpoint.secret, created[0], { now: signedAt + 301_000 }))).toBe('timestamp-out-of-tolerance');

    // The delivery log, newest first, one item per page: both succeeded.
    await waitFor(async () => {
      const log = await gw.webhookEndpoints.deliveries(endpoint.id).toArray();
      return log.length === 2 && log.every((d) => d.status === 'succeeded') ? log : undefined;
    }, { timeoutMs: 30_000 });
    const log = await gw.webhookEndpoints.deliveries(endpoint.id, { limit: 1 }).toArray();
    expect(log.map((d) => d.event_id)).toEqual([events[1].id, events[0].id]);

    // A redelivery sends the same event (same id, same bytes) again, verified like the first.
    const redelivery = await gw.webhookEndpoints.redeliver(endpoint.id, log[1].id);
    expect(redelivery).toMatchObject({ id: log[1].id, event_id: events[0].id, status: 'pending' });
    await waitFor(async () => r.forEvent(events[0].id).length >= 2 || undefined, { timeoutMs: 30_000 });
    const again = r.forEvent(events[0].id).at(-1)!;
    const redelivered: WebhookEvent = verify(endpoint.secret, again);
    expect(redelivered).toEqual(events[0]);

    // connection.erased, through the SDK's erase.
    await gw.users.erase(users[0]);
    await waitFor(async () => ours('connection.erased').length >= 1 || undefined, { timeoutMs: 30_000 });
    expect(verify(endpoint.secret, ours('connection.erased')[0])).toMatchObject({ type: 'connection.erased', user_id: users[0] });

    await gw.webhookEndpoints.delete(endpoint.id);
    await expect(gw.webhookEndpoints.get(endpoint.id)).rejects.toBeInstanceOf(NotFoundError);
  }, 150_000);

  it('lists endpoints over pages; another client sees none of them; malformed ids are validation errors', async () => {
    const key = await createApiKey(t.app);
    const gw = sdk(key);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await gw.webhookEndpoints.create({ url: `${r.url}/${i}` })).id);
    let pages = 0;
    const seen: string[] = [];
    for await (const page of gw.webhookEndpoints.list({ limit: 2 }).pages()) {
      pages++;
      seen.push(...page.items.map((e) => e.id));
    }
    expect(pages).toBe(2);
    expect(seen).toEqual(ids);

    const other = sdk(await createApiKey(t.app));
    expect(await other.webhookEndpoints.list().toArray()).toEqual([]);
    await expect(other.webhookEndpoints.get(ids[0])).rejects.toBeInstanceOf(NotFoundError);
    await expect(other.webhookEndpoints.deliveries(ids[0]).first()).rejects.toBeInstanceOf(NotFoundError);
    await expect(gw.webhookEndpoints.get('not-an-id')).rejects.toBeInstanceOf(ValidationError);
    await expect(gw.webhookEndpoints.create({ url: 'ftp://example.com/x' })).rejects.toBeInstanceOf(ValidationError);
  });
});
