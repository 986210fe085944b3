import { getModelToken } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import type { Page } from '../../src/common/pagination/cursor';
import { SECURITY_EVENT_MODEL, type SecurityEvent } from '../../src/security-events/security-event.schema';
import { SecurityEvents, type SecurityEventView } from '../../src/security-events/security-events.service';
import { AUTH_TEST_ENV, createApiKey } from '../support/factories/api-key.factory';
import { startTestApp, type TestApp } from '../support/test-app';

/** An event as JSON carries it (`at` as an ISO string). */
type EventItem = Omit<SecurityEventView, 'at'> & { at: string };
type EventPage = Page<EventItem>;

describe('GET /admin/security-events (real app, FerretDB)', () => {
  let t: TestApp;
  let admin: string;
  let clientKey: string;
  let acmeKeys: string[];
  let otherKey: string;

  const call = (method: string, path: string, key?: string, body?: unknown) =>
    fetch(`${t.url}${path}`, {
      method,
      headers: { ...(key ? { 'x-api-key': key } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const list = async (query: string): Promise<EventPage> => {
    const res = await call('GET', `/admin/security-events${query}`, admin);
    expect(res.status).toBe(200);
    return (await res.json()) as EventPage;
  };
  /** Follows next_cursor from the first page to the last. */
  const walk = async (query: string, limit: number): Promise<{ items: EventItem[]; pages: number }> => {
    const items: EventItem[] = [];
    let pages = 0;
    let cursor: string | null = null;
    do {
      const sep = query ? '&' : '';
      const page = await list(`?${query}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(page.items.length).toBeLessThanOrEqual(limit);
      items.push(...page.items);
      cursor = page.next_cursor;
      pages++;
    } while (cursor && pages < 1000);
    return { items, pages };
  };
  const newestFirst = (items: EventItem[]) => {
    for (let i = 1; i < items.length; i++) {
      const [a, b] = [Date.parse(items[i - 1].at), Date.parse(items[i].at)];
      expect(a > b || (a === b && items[i - 1].id > items[i].id)).toBe(true);
    }
  };

  beforeAll(async () => {
    Object.assign(process.env, AUTH_TEST_ENV);
    t = await startTestApp();
    admin = (await createApiKey(t.app, { client_id: 'se-ops', role: 'admin' })).api_key;
    clientKey = (await createApiKey(t.app, { client_id: 'se-other' })).api_key;
    // Events of several types through the API: key created / updated / rotated / revoked, user erased.
    acmeKeys = [];
    for (const name of ['one', 'two']) {
      const res = await call('POST', '/admin/keys', admin, { client_id: 'se-acme', name, role: 'client' });
      expect(res.status).toBe(201);
      acmeKeys.push(((await res.json()) as { key_id: string }).key_id);
    }
    const other = await call('POST', '/admin/keys', admin, { client_id: 'se-other', name: 'other', role: 'client' });
    otherKey = ((await other.json()) as { key_id: string }).key_id;
    expect((await call('PATCH', `/admin/keys/${acmeKeys[0]}`, admin, { name: 'renamed' })).status).toBe(200);
    expect((await call('POST', `/admin/keys/${acmeKeys[0]}/rotate`, admin, {})).status).toBe(200);
    expect((await call('POST', `/admin/keys/${acmeKeys[1]}/revoke`, admin)).status).toBe(200);
    expect((await call('PUT', '/v1/users/se-gone', clientKey)).status).toBe(200);
    expect((await call('DELETE', '/v1/users/se-gone', clientKey)).status).toBe(204);
    // A KMS event: rotating a transit key needs a KMS admin route; the feature's own service records the same event.
    await t.app.get(SecurityEvents).record({ action: 'kms.key.rotated', actor: 'schedule', target: 'fgw-tokens', details: { toVersion: 2 } });
  });
  afterAll(async () => t?.close());

  it('lists events of several types, newest first, with no secrets', async () => {
    const { items } = await list('?limit=500');
    const actions = new Set(items.map((e) => e.action));
    for (const action of ['auth.key.created', 'auth.key.updated', 'auth.key.rotated', 'auth.key.revoked', 'user.erased', 'kms.key.rotated']) {
      expect(actions).toContain(action);
    }
    newestFirst(items);
    expect(items[0]).toMatchObject({ action: 'kms.key.rotated', actor: 'schedule', target: 'fgw-tokens', key_id: null, details: { toVersion: 2 } });
    const rotated = items.find((e) => e.action === 'auth.key.rotated');
    expect(rotated).toMatchObject({ key_id: acmeKeys[0], target: acmeKeys[0], actor: expect.stringMatching(/^admin-key:/) });
    expect(rotated?.id).toMatch(/^[0-9a-f]{24}$/);
    expect(JSON.stringify(items)).not.toMatch(/fgw_|fgws_|\$2b\$/);
  });

  it('filters by action, action prefix, key, client and time range', async () => {
    const rotated = (await list('?action=auth.key.rotated')).items;
    expect(rotated.map((e) => e.key_id)).toEqual([acmeKeys[0]]);

    const keyEvents = (await list('?action=auth.key.*&limit=500')).items;
    expect(keyEvents.length).toBeGreaterThanOrEqual(8);
    expect(keyEvents.every((e) => e.action.startsWith('auth.key.'))).toBe(true);

    const byKey = (await list(`?key_id=${acmeKeys[0]}`)).items;
    expect(byKey.map((e) => e.action).sort()).toEqual(['auth.key.created', 'auth.key.rotated', 'auth.key.updated']);

    const byClient = (await list('?client_id=se-other')).items;
    expect(byClient.length).toBeGreaterThanOrEqual(3);
    expect(byClient.every((e) => e.client_id === 'se-other')).toBe(true);
    expect(byClient.map((e) => e.action)).toEqual(expect.arrayContaining(['auth.key.created', 'user.erased']));
    expect(byClient.map((e) => e.key_id)).toContain(otherKey);

    const combined = (await list(`?client_id=se-acme&action=auth.key.revoked`)).items;
    expect(combined.map((e) => e.key_id)).toEqual([acmeKeys[1]]);

    // Time range: `from` inclusive, `to` exclusive, on the stored instants.
    const all = (await list('?limit=500')).items;
    const pivot = all[Math.floor(all.length / 2)].at;
    const after = (await list(`?from=${encodeURIComponent(pivot)}&limit=500`)).items;
    const before = (await list(`?to=${encodeURIComponent(pivot)}&limit=500`)).items;
    expect(after.every((e) => e.at >= pivot)).toBe(true);
    expect(before.every((e) => e.at < pivot)).toBe(true);
    expect(after.length + before.length).toBe(all.length);
    expect(after.map((e) => e.id)).toContain(all[Math.floor(all.length / 2)].id);
    expect((await list(`?from=${new Date(Date.now() + 60_000).toISOString()}`)).items).toHaveLength(0);
  });

  it('walks every page without duplicates or gaps, also through events that share an instant', async () => {
    // 23 events at one instant and 10 at the next millisecond: only the (at, _id) cursor orders ties.
    const model = t.app.get<Model<SecurityEvent>>(getModelToken(SECURITY_EVENT_MODEL));
    const at = new Date(Date.now() - 3_600_000);
    const later = new Date(at.getTime() + 1);
    const seeded = await model.insertMany(
      Array.from({ length: 33 }, (_, i) => ({
        at: i < 23 ? at : later,
        action: 'test.page.seeded',
        actor: 'test',
        target: `t${i}`,
        key_id: null,
        client_id: 'se-pages',
        details: { i },
      })),
    );
    const expected = seeded.map((d) => String(d._id)).sort();

    for (const limit of [1, 4, 7, 33, 50]) {
      const { items, pages } = await walk('action=test.page.seeded', limit);
      const ids = items.map((e) => e.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect([...ids].sort()).toEqual(expected);
      // next_cursor is null on the last page, so a walk takes exactly ceil(33 / limit) requests.
      expect(pages).toBe(Math.ceil(33 / limit));
      newestFirst(items);
    }

    // The whole collection paged in threes equals the one-page answer.
    const one = (await list('?limit=500')).items.map((e) => e.id);
    const paged = (await walk('', 3)).items.map((e) => e.id);
    expect(paged).toEqual(one);
  });

  it('refuses client keys (403) and missing keys (401)', async () => {
    expect((await call('GET', '/admin/security-events', clientKey)).status).toBe(403);
    expect((await call('GET', '/admin/security-events')).status).toBe(401);
  });

  it.each([
    ['a cursor it never returned', '?cursor=not-a-cursor'],
    ['a cursor with a bad id', `?cursor=${Buffer.from('abc.zz').toString('base64url')}`],
    ['a time that is not a date-time', '?from=yesterday'],
    ['an empty time range', `?from=2025-01-02T00:00:00Z&to=2025-01-01T00:00:00Z`],
    ['a limit above 500', '?limit=501'],
    ['an action that is no action name', '?action=auth key'],
    ['a malformed key id', '?key_id=NOT-A-KEY'],
  ])('answers 400 validation-failed problem+json for %s', async (_what, query) => {
    const res = await call('GET', `/admin/security-events${query}`, admin);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(await res.json()).toMatchObject({ type: 'urn:flickr-gateway:problem:validation-failed', status: 400 });
  });
});
