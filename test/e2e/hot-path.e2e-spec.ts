import { getConnectionToken } from '@nestjs/mongoose';
import type { CommandStartedEvent } from 'mongodb';
import type { Connection } from 'mongoose';
import { type Counter, register } from 'prom-client';
import { ALICE, type FakeFlickr } from '../../tools/sandbox-flickr/fake-flickr.server';
import { startApiProcess, type ApiProcess } from '../support/api-process';
import { createApiKey } from '../support/factories/api-key.factory';
import { connectViaOob } from '../support/factories/flickr.factory';
import { waitFor } from '../support/processes';
import { startAppOnFakeFlickr } from '../support/fake-flickr-app';
import type { TestApp } from '../support/test-app';
import { sharedKmsEnv } from '../support/uploads';

/**
 * Issue 15: a proxy call answered from the response cache does no database or KMS work, and a
 * change to a user (erase, re-authorisation, reconnect) reaches every replica's connection cache
 * through Redis pub/sub, not through its TTL.
 */
const READ = 'flickr.people.getInfo';
const BODY = { user_id: ALICE.nsid };

const proxy = (base: string, apiKey: string, userId: string, extra: Record<string, string> = {}) =>
  fetch(`${base}/v1/users/${userId}/flickr/${READ}`, {
    method: 'POST',
    headers: { 'x-api-key': apiKey, 'content-type': 'application/json', ...extra },
    body: JSON.stringify(BODY),
  });
/** The same read past the response cache: it goes to Flickr, so it needs the token. */
const NO_CACHE = { 'cache-control': 'no-cache' };

describe('a cache hit reads nothing: zero MongoDB commands, zero KMS calls', () => {
  let fake: FakeFlickr;
  let t: TestApp;
  let apiKey: string;
  const commands: string[] = [];

  beforeAll(async () => {
    ({ fake, t } = await startAppOnFakeFlickr({
      // Every token read would reach the KMS (no data-key cache), so a decryption cannot hide.
      KMS_DATA_KEY_CACHE_TTL_MS: '0',
      // The request log's batch stays in memory during the test (its flush is a MongoDB write of its own).
      AUDIT_FLUSH_INTERVAL_MS: '600000',
      USERS_CONNECTION_CACHE_TTL_MS: '60000',
    }));
    apiKey = (await createApiKey(t.app)).api_key;
    await connectViaOob(t.url, apiKey, 'reader', { perms: 'read' });
    // The driver's command monitoring (the app enables it for mongodb_commands_total).
    t.app.get<Connection>(getConnectionToken()).getClient().on('commandStarted', (e: CommandStartedEvent) => commands.push(e.commandName));
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  const kmsCalls = async () => {
    const metric = register.getSingleMetric('kms_requests_total') as Counter | undefined;
    return (await metric?.get())?.values.reduce((sum, v) => sum + v.value, 0) ?? 0;
  };

  /** One proxy call, with what it cost in MongoDB commands, KMS calls and Flickr calls. */
  async function measured(extra: Record<string, string> = {}): Promise<{ status: number; mongo: string[]; kms: number; flickr: number }> {
    const [kms0, flickr0, mongo0] = [await kmsCalls(), fake.callsTo(READ), commands.length];
    const res = await proxy(t.url, apiKey, 'reader', extra);
    await res.arrayBuffer();
    return { status: res.status, mongo: commands.slice(mongo0), kms: (await kmsCalls()) - kms0, flickr: fake.callsTo(READ) - flickr0 };
  }

  it('the first call reads the user and its token (the counters see it); the same call again is a cache hit that reads nothing', async () => {
    // The connection cache of this replica was filled by nothing yet for this read, and the answer is not cached.
    const miss = await measured();
    expect(miss).toMatchObject({ status: 200, kms: 1, flickr: 1 });
    expect(miss.mongo).toContain('find');

    const hit = await measured();
    expect(hit).toEqual({ status: 200, mongo: [], kms: 0, flickr: 0 });
  });

  it('a call past the response cache decrypts the sealed token this replica keeps: no database read, one KMS call', async () => {
    // The first test left the user and its sealed token in this replica's caches.
    const uncached = await measured(NO_CACHE);
    expect(uncached).toEqual({ status: 200, mongo: [], kms: 1, flickr: 1 });
  });
});

describe('a change to a user reaches a second API process within 1 s (pub/sub, not the cache TTL)', () => {
  let fake: FakeFlickr;
  let t: TestApp;
  let second: ApiProcess;
  let apiKey: string;

  beforeAll(async () => {
    let env: Record<string, string>;
    // A minute: only the announcement can explain a change seen within a second.
    ({ fake, t, env } = await startAppOnFakeFlickr({ ...sharedKmsEnv(), USERS_CONNECTION_CACHE_TTL_MS: '60000' }));
    second = await startApiProcess(env);
    apiKey = (await createApiKey(t.app)).api_key;
  });
  afterAll(async () => {
    await second?.stop();
    await t?.close();
    await fake?.close();
  });

  /**
   * Polls the second process until it answers `status`; fails when that does not happen within a second. The
   * bound is the promise, not a performance figure: without the announcement the answer would only change
   * after the cache TTL (a minute), so the test fails by a factor of sixty, not by a margin.
   */
  async function secondAnswers(userId: string, status: number): Promise<void> {
    await waitFor(async () => (await proxy(second.url, apiKey, userId)).status === status, { timeoutMs: 1000, intervalMs: 25 });
  }

  it('erase, re-authorisation required and reconnect on the first process are seen by the second', async () => {
    await connectViaOob(t.url, apiKey, 'u1', { perms: 'read' });
    // The second process caches the connection and the answer.
    expect((await proxy(second.url, apiKey, 'u1')).status).toBe(200);
    expect((await proxy(second.url, apiKey, 'u1')).status).toBe(200);

    // Flickr revokes the token; the first process learns it from code 98 (a different read, not cached).
    fake.revokeUser(ALICE.nsid);
    const refused = await fetch(`${t.url}/v1/users/u1/flickr/flickr.test.login`, {
      method: 'POST',
      headers: { 'x-api-key': apiKey, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(refused.status).toBe(409);
    await secondAnswers('u1', 409);

    await connectViaOob(t.url, apiKey, 'u1', { perms: 'read' });
    await secondAnswers('u1', 200);

    const erased = await fetch(`${t.url}/v1/users/u1`, { method: 'DELETE', headers: { 'x-api-key': apiKey } });
    expect(erased.status).toBe(204);
    await secondAnswers('u1', 404);
  });

  it("a reconnect's new token is what the second process signs with next (its kept sealed token is dropped too)", async () => {
    await connectViaOob(t.url, apiKey, 'u2', { perms: 'read' });
    // The second process goes to Flickr with the first token, and keeps it (sealed).
    expect((await proxy(second.url, apiKey, 'u2', NO_CACHE)).status).toBe(200);
    // Flickr revokes that token; nobody calls with it, so no process learns of it from code 98. The user connects
    // again through the first process: a new token.
    fake.revokeUser(ALICE.nsid);
    await connectViaOob(t.url, apiKey, 'u2', { perms: 'read' });
    // Had the second kept the revoked token, Flickr would refuse it (98) and the call would end in 409.
    await waitFor(async () => (await proxy(second.url, apiKey, 'u2', NO_CACHE)).status === 200, { timeoutMs: 1000, intervalMs: 25 });
    expect((await proxy(second.url, apiKey, 'u2', NO_CACHE)).status).toBe(200);
  });
});
