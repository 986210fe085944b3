import { ALICE, type FakeFlickr } from '../../tools/sandbox-flickr/fake-flickr.server';
import { createApiKey } from '../support/factories/api-key.factory';
import { connectViaOob } from '../support/factories/flickr.factory';
import { waitFor } from '../support/processes';
import { startAppOnFakeFlickr } from '../support/fake-flickr-app';
import { requestLogRecordCount } from '../support/request-log';
import type { TestApp } from '../support/test-app';

/**
 * The cached read (issue 15's hot path) under a flood: ten times the benchmark's 50 connections at once, two
 * tenants, and a hostile mix in the same burst — another tenant's user ids, keys that do not exist, malformed
 * bodies, unknown methods. The promises under that load (no timing asserted here; speed is bench/'s job): every
 * caller gets its own user's answer or a problem+json with its request id, never another tenant's data, never a
 * 5xx; bad keys from the same address do not lock out clients whose keys were verified; the process stays up; and
 * every API call is in the request log.
 */
const BOB = { nsid: '87654321@N00', username: 'bob', fullname: 'Bob Example' };
const FLOOD = 500;

describe('the cached read under a hostile flood (500 requests at once)', () => {
  let fake: FakeFlickr;
  let t: TestApp;
  let keyA: string;
  let keyB: string;

  beforeAll(async () => {
    ({ fake, t } = await startAppOnFakeFlickr({ AUDIT_FLUSH_INTERVAL_MS: '200' }));
    fake.addUser(BOB);
    keyA = (await createApiKey(t.app)).api_key;
    keyB = (await createApiKey(t.app)).api_key;
    await connectViaOob(t.url, keyA, 'shared-name', { perms: 'read', nsid: ALICE.nsid });
    // Tenant B's user has the same user_id as A's: only the key tells them apart.
    await connectViaOob(t.url, keyB, 'shared-name', { perms: 'read', nsid: BOB.nsid });
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  const read = (key: string, userId: string, body = '{}', method = 'flickr.test.login') =>
    fetch(`${t.url}/v1/users/${userId}/flickr/${method}`, { method: 'POST', headers: { 'x-api-key': key, 'content-type': 'application/json' }, body });

  type Kind = 'a-own' | 'b-own' | 'a-unknown-user' | 'bogus-key' | 'malformed' | 'unknown-method';
  const send: Record<Kind, () => Promise<Response>> = {
    'a-own': () => read(keyA, 'shared-name'),
    'b-own': () => read(keyB, 'shared-name'),
    // A user id that exists only under tenant B's name space... and one that exists nowhere.
    'a-unknown-user': () => read(keyA, 'only-b-has-this'),
    'bogus-key': () => read(`fgw_aaaaaaaaaaaa_${'x'.repeat(43)}`, 'shared-name'),
    malformed: () => read(keyA, 'shared-name', '{"photo_id": '),
    'unknown-method': () => read(keyA, 'shared-name', '{}', 'flickr.not.a.method'),
  };
  const expected: Record<Kind, number[]> = {
    'a-own': [200],
    'b-own': [200],
    'a-unknown-user': [404],
    // The address is locked out after RATE_LIMIT_AUTH_FAILURES_LIMIT failures: 401 first, then 429.
    'bogus-key': [401, 429],
    malformed: [400],
    'unknown-method': [400],
  };

  it('answers every request correctly and to its own tenant, without a 5xx or a lost record', async () => {
    // Tenant B's user shares A's user_id, so B's existence must not leak: create B's other user for the probe.
    await connectViaOob(t.url, keyB, 'only-b-has-this', { perms: 'read', nsid: BOB.nsid });
    // Both clients are established (their keys verified) before strangers start failing from the same address.
    expect((await read(keyA, 'shared-name')).status).toBe(200);
    expect((await read(keyB, 'shared-name')).status).toBe(200);
    // Counted once the records of the calls above are written (flushed every 200 ms): the count holds still.
    let before = -1;
    await waitFor(async () => {
      const now = await requestLogRecordCount(t.app);
      const settled = now === before;
      before = now;
      return settled;
    }, { intervalMs: 500 });

    const kinds = Object.keys(send) as Kind[];
    const plan = Array.from({ length: FLOOD }, (_, i) => kinds[i % kinds.length]!);
    const results = await Promise.all(
      plan.map(async (kind) => {
        const res = await send[kind]();
        return { kind, status: res.status, requestId: res.headers.get('x-request-id'), type: res.headers.get('content-type'), body: (await res.json()) as Record<string, unknown> };
      }),
    );

    const wrong = results.filter((r) => !expected[r.kind].includes(r.status));
    expect(wrong.map((r) => `${r.kind}: ${r.status} ${JSON.stringify(r.body).slice(0, 120)}`)).toEqual([]);
    for (const r of results) {
      if (r.status === 200) {
        // Each tenant sees its own Flickr user behind the same user_id, even from the response cache.
        expect(r.body).toMatchObject({ stat: 'ok', user: { id: r.kind === 'a-own' ? ALICE.nsid : BOB.nsid } });
      } else {
        expect(r.type).toMatch(/^application\/problem\+json/);
        expect(r.body.requestId).toBe(r.requestId);
        expect(JSON.stringify(r.body)).not.toMatch(/node_modules|\bat \w+ \(/);
      }
    }
    // The process is still up and still answers its clients.
    expect((await fetch(`${t.url}/health/live`)).status).toBe(200);
    expect((await read(keyA, 'shared-name')).status).toBe(200);
    // Every API call of the flood (and the last one) is in the request log, refused or not.
    await waitFor(async () => (await requestLogRecordCount(t.app)) - before >= FLOOD + 1, { timeoutMs: 15_000 });
    expect((await requestLogRecordCount(t.app)) - before).toBe(FLOOD + 1);
  });
});
