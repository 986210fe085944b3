import Bull from 'bull';
import { loadSlice } from '../../src/config/env.validation';
import { WebhookEndpointRepository } from '../../src/webhooks/webhook-endpoint.repository';
import { WebhookEndpointsService } from '../../src/webhooks/webhook-endpoints.service';
import { WebhookOutboxRepository } from '../../src/webhooks/webhook-outbox.repository';
import { WebhookSecretSealer } from '../../src/webhooks/webhook-secret.sealer';
import { WebhookUrlPolicy } from '../../src/webhooks/webhook-url.policy';
import { WebhookDeliverer } from '../../src/webhooks/webhook.deliverer';
import { WebhookEmitter } from '../../src/webhooks/webhook.emitter';
import { WebhookQueue } from '../../src/webhooks/webhook.queue';
import { WebhookSender } from '../../src/webhooks/webhook.sender';
import { verifyWebhook } from '../../src/webhooks/webhook.signing';
import { WebhookSweeper } from '../../src/webhooks/webhook.sweeper';
import { WebhooksConfig } from '../../src/webhooks/webhooks.config';
import { WebhooksMetrics } from '../../src/webhooks/webhooks.metrics';
import { RedisProcess } from '../support/processes';
import { startTestApp, type TestApp } from '../support/test-app';
import { WebhookReceiver } from '../support/webhook-receiver';

const HOUR = 3_600_000;

/** Records triggers instead of queueing them: the test then plays the worker, one trigger at a time. */
class RecordingQueue {
  readonly triggered: string[] = [];
  async trigger(deliveryId: string): Promise<boolean> {
    this.triggered.push(deliveryId);
    return true;
  }
}

/**
 * The outbox, the deliverer and the sweeper against the real FerretDB and Redis: a trigger lost to a dead Redis
 * is made good by the sweeper, a delivery failing past the horizon ends `dead`, and one user's events wait for
 * each other per endpoint.
 */
describe('webhook outbox, deliverer and sweeper (FerretDB + Redis)', () => {
  let t: TestApp;
  let receiver: WebhookReceiver;
  let outbox: WebhookOutboxRepository;
  const config = loadSlice(WebhooksConfig, { WEBHOOKS_RETRY_BASE_MS: '1000', WEBHOOKS_RETRY_CAP_MS: '4000', WEBHOOKS_RETRY_HORIZON_MS: String(24 * HOUR), WEBHOOKS_SWEEP_INTERVAL_MS: '30000' });

  beforeAll(async () => {
    t = await startTestApp();
    receiver = await WebhookReceiver.start();
    outbox = t.app.get(WebhookOutboxRepository, { strict: false });
  });
  afterAll(async () => {
    await receiver?.close();
    await t?.close();
  });

  const get = <T>(type: new (...args: never[]) => T): T => t.app.get(type, { strict: false });
  const emitter = (queue: WebhookQueue | RecordingQueue) =>
    new WebhookEmitter(get(WebhookEndpointRepository), outbox, queue as WebhookQueue, get(WebhooksMetrics));
  const deliverer = (queue: RecordingQueue, cfg = config) =>
    new WebhookDeliverer(outbox, get(WebhookEndpointRepository), get(WebhookSecretSealer), new WebhookSender(get(WebhookUrlPolicy)), queue as unknown as WebhookQueue, get(WebhooksMetrics), cfg);
  const endpoint = (clientId: string, events?: Parameters<WebhookEndpointsService['create']>[1]['events']) => get(WebhookEndpointsService).create(clientId, { url: receiver.url, events });
  const deliveriesOf = async (endpointId: string) => (await outbox.listOfEndpoint(endpointId, 100)).reverse();

  it('an event recorded while Redis is down stays pending, the sweeper re-triggers it once overdue, and the worker delivers it signed', async () => {
    receiver.always(200);
    const redis = await RedisProcess.start();
    const deadQueue = new Bull('webhooks', redis.url);
    deadQueue.on('error', () => undefined);
    await deadQueue.isReady();
    await redis.stop();
    try {
      const ep = await endpoint('client-sweep');
      await emitter(new WebhookQueue(deadQueue)).emit({ clientId: 'client-sweep', userId: 'u1', type: 'connection.created', data: { state: 'connected' } });
      const [pending] = await deliveriesOf(ep.id);
      expect(pending).toMatchObject({ status: 'pending', attempts: 0, event_type: 'connection.created' });

      const queue = new RecordingQueue();
      const sweeper = new WebhookSweeper(outbox, queue as unknown as WebhookQueue, config);
      // Not overdue yet: a queue trigger may still be on its way.
      expect((await sweeper.sweep(new Date())).triggered).toBe(0);
      const later = new Date(Date.now() + config.WEBHOOKS_SWEEP_INTERVAL_MS + 1000);
      expect((await sweeper.sweep(later)).triggered).toBe(1);
      expect(queue.triggered).toEqual([pending._id]);

      expect(await deliverer(queue).deliver(pending._id)).toBe('succeeded');
      expect(receiver.received).toHaveLength(1);
      const [got] = receiver.received;
      expect(verifyWebhook(ep.secret, { timestamp: String(got.headers['x-fgw-webhook-timestamp']), eventId: pending.event_id, signature: String(got.headers['x-fgw-webhook-signature']) }, got.body)).toBe(true);
      // Delivered: nothing left for the sweeper; a duplicate trigger does nothing.
      expect((await sweeper.sweep(later)).triggered).toBe(0);
      expect(await deliverer(queue).deliver(pending._id)).toBe('not-due');
      expect(receiver.received).toHaveLength(1);
    } finally {
      // Bull's close waits for its Redis: bring it back to close cleanly.
      await redis.restart();
      await deadQueue.close();
      await redis.stop();
    }
  });

  it('keeps retrying with backoff inside the horizon and gives up (dead) on the first failure past it', async () => {
    receiver.received.length = 0;
    receiver.always(503);
    const ep = await endpoint('client-dead', ['upload.failed']);
    const queue = new RecordingQueue();
    await emitter(queue).emit({ clientId: 'client-dead', userId: 'u1', type: 'upload.failed', data: { job_id: 'j1' } });
    const [d] = await deliveriesOf(ep.id);
    const worker = deliverer(queue);

    expect(await worker.deliver(d._id)).toBe('failed');
    let record = (await outbox.findDelivery(d._id))!;
    expect(record).toMatchObject({ status: 'failed', attempts: 1, last_status_code: 503, last_error: 'HTTP 503', round_failures: 1 });
    const start = record.round_started_at!.getTime();
    // Full jitter: the first wait is within [0, base].
    expect(record.next_attempt_at!.getTime() - record.last_attempt_at!.getTime()).toBeLessThanOrEqual(config.WEBHOOKS_RETRY_BASE_MS);
    // A trigger before the attempt is due does nothing.
    expect(await worker.deliver(d._id, new Date(record.next_attempt_at!.getTime() - 1))).toBe('not-due');

    // Just inside the horizon: still retried.
    expect(await worker.deliver(d._id, new Date(start + config.WEBHOOKS_RETRY_HORIZON_MS - 60_000))).toBe('failed');
    record = (await outbox.findDelivery(d._id))!;
    expect(record).toMatchObject({ status: 'failed', attempts: 2, round_failures: 2 });
    // Past it: dead, no next attempt.
    expect(await worker.deliver(d._id, new Date(start + config.WEBHOOKS_RETRY_HORIZON_MS))).toBe('dead');
    record = (await outbox.findDelivery(d._id))!;
    expect(record).toMatchObject({ status: 'dead', attempts: 3, next_attempt_at: null });
    expect(receiver.received.map((r) => r.headers['x-fgw-event-id'])).toEqual([d.event_id, d.event_id, d.event_id]);

    // A manual redelivery starts a fresh round: due now, and the receiver gets the same event again.
    receiver.always(200);
    await get(WebhookEndpointsService).redeliver('client-dead', ep.id, d._id);
    expect(await worker.deliver(d._id)).toBe('succeeded');
    expect((await outbox.findDelivery(d._id))!).toMatchObject({ status: 'succeeded', attempts: 4 });
  });

  it("one user's later event waits while an earlier one for the same endpoint is open, and goes once it ends; another user's does not wait", async () => {
    receiver.received.length = 0;
    receiver.always(500);
    const ep = await endpoint('client-order', ['upload.completed']);
    const queue = new RecordingQueue();
    const emit = emitter(queue);
    const event = (userId: string, job: string) => emit.emit({ clientId: 'client-order', userId, type: 'upload.completed', data: { job_id: job } });
    await event('alice', 'a1');
    await event('alice', 'a2');
    await event('bob', 'b1');
    const [a1, a2, b1] = await deliveriesOf(ep.id);
    expect([a1.sequence, a2.sequence, b1.sequence]).toEqual([1, 2, 1]);
    const worker = deliverer(queue);

    // alice's second event first: it waits (no request), bob's goes at once.
    expect(await worker.deliver(a2._id)).toBe('waiting');
    receiver.always(200);
    expect(await worker.deliver(b1._id)).toBe('succeeded');
    expect(receiver.received.map((r) => r.headers['x-fgw-delivery-id'])).toEqual([b1._id]);

    // alice's first fails: the second still waits.
    receiver.always(500);
    expect(await worker.deliver(a1._id)).toBe('failed');
    const due = (await outbox.findDelivery(a1._id))!.next_attempt_at!;
    expect(await worker.deliver(a2._id, due)).toBe('waiting');
    // The first succeeds: the second is woken (triggered) and delivered after it.
    receiver.always(200);
    queue.triggered.length = 0;
    expect(await worker.deliver(a1._id, due)).toBe('succeeded');
    expect(queue.triggered).toContain(a2._id);
    // Woken at the end of alice's first: `due`, or the clock if that attempt ended later (its retry delay is a random
    // 0–1000 ms, shorter than the steps above on a slow machine).
    expect(await worker.deliver(a2._id, new Date(Math.max(Date.now(), due.getTime())))).toBe('succeeded');
    const order = receiver.received.filter((r) => r.answered === 200).map((r) => JSON.parse(r.body.toString()) as { user_id: string; sequence: number });
    expect(order.map((b) => `${b.user_id}#${b.sequence}`)).toEqual(['bob#1', 'alice#1', 'alice#2']);
  });

  it('the delivery log pages newest first by (created_at, id) with no duplicate or gap, ties included, and refuses a cursor of another list', async () => {
    const service = get(WebhookEndpointsService);
    const ep = await endpoint('client-log', ['connection.erased']);
    const other = await endpoint('client-log', ['connection.erased']);
    const base = Date.UTC(2026, 11, 1, 9, 0, 0);
    // Seven deliveries; three share one instant (only the id orders them).
    const instants = [base, base + 1000, base + 2000, base + 2000, base + 2000, base + 3000, base + 4000];
    const ids: string[] = [];
    for (const [i, ms] of instants.entries()) {
      const at = new Date(ms);
      const eventId = `evt_${String(i).padStart(32, '0')}`;
      const id = `wd_${String(i).padStart(2, '0')}${'ab'.repeat(11)}`;
      ids.push(id);
      await outbox.record({ _id: eventId, client_id: 'client-log', user_id: 'u', type: 'connection.erased', sequence: i + 1, body: '{}', created_at: at }, [
        { _id: id, endpoint_id: ep.id, client_id: 'client-log', user_id: 'u', event_id: eventId, event_type: 'connection.erased', sequence: i + 1, status: 'succeeded', attempts: 1, last_attempt_at: at, last_status_code: 200, last_error: null, next_attempt_at: null, round_started_at: at, round_failures: 0, holds_later: true, lease_until: null, finished_at: at, created_at: at },
      ]);
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await service.deliveries('client-log', ep.id, 2, cursor);
      seen.push(...page.items.map((d) => d.id));
      cursor = page.next_cursor ?? undefined;
      pages++;
    } while (cursor);
    const expected = ids.map((id, i) => ({ id, at: instants[i] })).sort((a, b) => b.at - a.at || (a.id < b.id ? 1 : -1)).map((x) => x.id);
    expect(seen).toEqual(expected);
    expect(pages).toBe(4);
    // The other endpoint's log is its own.
    expect((await service.deliveries('client-log', other.id, 50)).items).toEqual([]);
    // Another client cannot read it.
    await expect(service.deliveries('client-other', ep.id, 50)).rejects.toMatchObject({ slug: 'not-found' });
    // A cursor of the endpoint list is not a cursor of this list.
    const endpointsPage = await service.list('client-log', 1);
    await expect(service.deliveries('client-log', ep.id, 2, endpointsPage.next_cursor!)).rejects.toMatchObject({ slug: 'validation-failed' });
  });
});
