import { randomBytes } from 'node:crypto';
import { Counter, Gauge, Registry } from 'prom-client';
import { Redis } from 'ioredis';
import { loadSlice } from '../../src/config/env.validation';
import { FlickrApiService } from '../../src/flickr/flickr-api.service';
import { FlickrCache } from '../../src/flickr/flickr.cache';
import { FlickrLocalCache } from '../../src/flickr/flickr-local.cache';
import { FlickrClient, type FlickrUserToken } from '../../src/flickr/flickr.client';
import { FlickrConfig } from '../../src/flickr/flickr.config';
import { FlickrMetrics } from '../../src/flickr/flickr.metrics';
import { RedisConfig } from '../../src/redis/redis.config';
import { RedisConnectionFactory } from '../../src/redis/redis.factory';
import { SlidingWindowStore } from '../../src/rate-limit/sliding-window.store';
import { FakeFlickr, REAL_FLICKR_ORIGINS } from '../../tools/sandbox-flickr/fake-flickr.server';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The upstream rules against the fake Flickr and the real Redis. */
describe('FlickrApiService (fake Flickr, real Redis)', () => {
  let fake: FakeFlickr;
  let redis: Redis;
  let store: SlidingWindowStore;
  let registry: Registry;
  const services: FlickrApiService[] = [];

  beforeAll(async () => {
    fake = await FakeFlickr.start({ origins: REAL_FLICKR_ORIGINS });
    const factory = new RedisConnectionFactory(loadSlice(RedisConfig, { ...process.env, REDIS_KEY_PREFIX: `${process.env.REDIS_KEY_PREFIX}${randomBytes(3).toString('hex')}:` }));
    redis = factory.create('test');
    store = new SlidingWindowStore(factory);
  });
  afterAll(async () => {
    services.forEach((s) => s.onApplicationShutdown());
    await store.onApplicationShutdown();
    redis.disconnect();
    await fake.close();
  });

  function build(env: Record<string, string> = {}) {
    const config = loadSlice(FlickrConfig, {
      FLICKR_CONSUMER_KEY: fake.consumerKey,
      FLICKR_CONSUMER_SECRET: fake.consumerSecret,
      FLICKR_API_URL: `${fake.url}/services/rest`,
      FLICKR_UPLOAD_URL: `${fake.url}/services/upload`,
      FLICKR_OAUTH_URL: `${fake.url}/services/oauth`,
      FLICKR_RETRY_BASE_MS: '5',
      ...env,
    });
    registry = new Registry();
    const counter = (name: string, labelNames: string[] = []) => new Counter({ name, help: name, labelNames, registers: [registry] });
    const metrics = new FlickrMetrics(
      counter('flickr_api_error_rate_by_code', ['code']),
      counter('flickr_api_calls_total', ['class']),
      counter('flickr_cache_hits_total'),
      counter('flickr_cache_misses_total'),
      new Gauge({ name: 'cache_hit_rate', help: 'x', registers: [registry] }),
      counter('flickr_calls_refused_total', ['reason']),
    );
    const client = new FlickrClient(config);
    const service = new FlickrApiService(client, new FlickrCache(redis), new FlickrLocalCache(config), store, config, metrics);
    services.push(service);
    return { service, client };
  }

  async function connectUser(client: FlickrClient): Promise<FlickrUserToken> {
    const { requestToken, requestTokenSecret } = await client.requestToken('oob');
    const verifier = fake.approve(requestToken, '12345678@N00', 'write');
    const { oauthToken, oauthTokenSecret } = await client.accessToken(requestToken, requestTokenSecret, verifier);
    return { oauthToken, oauthTokenSecret };
  }

  const metric = async (name: string) => (await registry.getSingleMetricAsString(name)).split('\n').filter((l) => !l.startsWith('#')).join(' ');

  it('signs through flickr-sdk to the configured URLs and reads the answer', async () => {
    const { service, client } = build();
    const token = await connectUser(client);
    const login = await service.call(`u-${randomBytes(3).toString('hex')}`, token, 'flickr.test.login', {});
    expect(login).toMatchObject({ stat: 'ok', user: { id: '12345678@N00' } });
  });

  it('refuses a method outside the allowlist with a 400 problem, without calling Flickr', async () => {
    const { service, client } = build();
    const token = await connectUser(client);
    const before = fake.requests.length;
    await expect(service.call('u1', token, 'flickr.auth.oauth.getAccessToken', {})).rejects.toMatchObject({ slug: 'unknown-flickr-method' });
    expect(fake.requests.length).toBe(before);
  });

  it('caches reads: a second identical read does not reach Flickr; the bypass does', async () => {
    const { service, client } = build();
    const token = await connectUser(client);
    const user = `u-${randomBytes(3).toString('hex')}`;
    const before = fake.count('flickr.people.getInfo');
    const first = await service.call(user, token, 'flickr.people.getInfo', { user_id: '12345678@N00' });
    const second = await service.call(user, token, 'flickr.people.getInfo', { user_id: '12345678@N00' });
    expect(second).toEqual(first);
    expect(fake.count('flickr.people.getInfo')).toBe(before + 1);
    expect(await metric('cache_hit_rate')).toMatch(/cache_hit_rate 0\.5/);
    await service.call(user, token, 'flickr.people.getInfo', { user_id: '12345678@N00' }, { bypassCache: true });
    expect(fake.count('flickr.people.getInfo')).toBe(before + 2);
    // Another user never sees the first one's cached answer.
    await service.call(`${user}-b`, token, 'flickr.people.getInfo', { user_id: '12345678@N00' });
    expect(fake.count('flickr.people.getInfo')).toBe(before + 3);
  });

  it('serves an answer with text outside ASCII byte for byte: from Flickr, from this process, from Redis on another replica', async () => {
    const { service, client } = build({ FLICKR_CACHE_LOCAL_TTL_MS: '60000' });
    const token = await connectUser(client);
    const user = `u-${randomBytes(3).toString('hex')}`;
    const text = 'Zürich 東京 🚀 "quoted" \\ \u2028 ﻿é';
    const fresh = await service.callJson(user, token, 'flickr.tags.getRelated', { tag: text });
    const local = await service.callJson(user, token, 'flickr.tags.getRelated', { tag: text });
    // A second replica: nothing in its process yet, so the answer comes from Redis (then from its own copy).
    const other = build({ FLICKR_CACHE_LOCAL_TTL_MS: '60000' }).service;
    const before = fake.count('flickr.tags.getRelated');
    const shared = await other.callJson(user, token, 'flickr.tags.getRelated', { tag: text });
    const sharedLocal = await other.callJson(user, token, 'flickr.tags.getRelated', { tag: text });
    expect(fake.count('flickr.tags.getRelated')).toBe(before);
    expect(JSON.parse(fresh.toString('utf8'))).toMatchObject({ stat: 'ok', tags: { source: text } });
    for (const answer of [local, shared, sharedLocal]) expect(answer.equals(fresh)).toBe(true);
  });

  it("keeps hot answers in the process, never beyond their Redis lifetime; an erased user's are dropped", async () => {
    // flickr.people.getInfo cached for 1 s in Redis; the process may keep answers for up to 60 s.
    const { service, client } = build({ FLICKR_CACHE_TTL_OVERRIDES: 'flickr.people.getInfo=1', FLICKR_CACHE_LOCAL_TTL_MS: '60000' });
    const token = await connectUser(client);
    const user = `u-${randomBytes(3).toString('hex')}`;
    const read = () => service.call(`${user}#1`, token, 'flickr.people.getInfo', { user_id: '12345678@N00' });
    const before = fake.count('flickr.people.getInfo');
    await read();
    // The Redis copy is gone: the answer still comes from the process, with no trip to Flickr.
    const keys = await redis.keys(`*flickr:cache:{${user}#1}*`);
    expect(keys).toHaveLength(1);
    await redis.unlink(keys[0]!.slice(redis.options.keyPrefix?.length ?? 0));
    await read();
    expect(fake.count('flickr.people.getInfo')).toBe(before + 1);
    // Past the Redis lifetime (1 s) the process's copy has expired too, though its own TTL is 60 s.
    await sleep(1100);
    await read();
    expect(fake.count('flickr.people.getInfo')).toBe(before + 2);
    // Erasing the user (all incarnations) drops the process's copies as well as Redis'.
    expect(await service.purgeCache(`${user}#`)).toBe(1);
    await read();
    expect(fake.count('flickr.people.getInfo')).toBe(before + 3);
  });

  it('with FLICKR_CACHE_LOCAL_TTL_MS=0 every hit is read from Redis', async () => {
    const { service, client } = build({ FLICKR_CACHE_LOCAL_TTL_MS: '0' });
    const token = await connectUser(client);
    const user = `u-${randomBytes(3).toString('hex')}`;
    const read = () => service.call(user, token, 'flickr.people.getInfo', { user_id: '12345678@N00' });
    const before = fake.count('flickr.people.getInfo');
    await read();
    const keys = await redis.keys(`*flickr:cache:{${user}}*`);
    await redis.unlink(keys[0]!.slice(redis.options.keyPrefix?.length ?? 0));
    await read();
    expect(fake.count('flickr.people.getInfo')).toBe(before + 2);
  });

  it('maps a revoked token (code 98) to the re-authorisation problem', async () => {
    const { service, client } = build();
    const token = await connectUser(client);
    fake.revoke(token.oauthToken);
    await expect(service.call('u2', token, 'flickr.photos.search', { user_id: 'me' }, { bypassCache: true })).rejects.toMatchObject({
      slug: 'flickr-reauthorization-required',
    });
    expect(await metric('flickr_api_error_rate_by_code')).toContain('code="98"');
  });

  it('retries idempotent reads after a 5xx, never writes', async () => {
    const { service, client } = build();
    const token = await connectUser(client);
    fake.inject({ match: 'flickr.photosets.getList', status: 502, times: 2 });
    await expect(service.call('u3', token, 'flickr.photosets.getList', {})).resolves.toMatchObject({ stat: 'ok' });
    const writes = fake.count('flickr.photos.addTags');
    fake.inject({ match: 'flickr.photos.addTags', status: 502, times: 1 });
    await expect(service.call('u3', token, 'flickr.photos.addTags', { photo_id: '1', tags: 'x' })).rejects.toMatchObject({ slug: 'flickr-error' });
    expect(fake.count('flickr.photos.addTags')).toBe(writes + 1);
  });

  it('opens the breaker after three 429s: then 503 with Retry-After without reaching Flickr; one probe closes it', async () => {
    const { service, client } = build({ FLICKR_BREAKER_OPEN_MS: '700', FLICKR_READ_RETRIES: '0' });
    const token = await connectUser(client);
    fake.inject({ match: 'flickr.test.login', status: 429, times: 3 });
    for (let i = 0; i < 3; i++) {
      await expect(service.call('u4', token, 'flickr.test.login', {}, { bypassCache: true })).rejects.toMatchObject({ slug: 'flickr-error' });
    }
    expect(service.breakerState).toBe('open');
    const reached = fake.count('flickr.test.login');
    const refused = await service.call('u4', token, 'flickr.test.login', {}, { bypassCache: true }).catch((e) => e);
    expect(refused).toMatchObject({ slug: 'flickr-circuit-open', headers: { 'retry-after': '1' } });
    expect(fake.count('flickr.test.login')).toBe(reached);
    await sleep(800);
    await expect(service.call('u4', token, 'flickr.test.login', {}, { bypassCache: true })).resolves.toMatchObject({ stat: 'ok' });
    expect(fake.count('flickr.test.login')).toBe(reached + 1);
    expect(service.breakerState).toBe('closed');
  });

  it('spends a shared budget: with a budget of N, the N+1st upstream call is not made', async () => {
    // Two services stand for two replicas sharing Redis; the budget key is shared.
    await redis.del('rl:flickr-budget');
    const a = build({ FLICKR_BUDGET_LIMIT: '4' });
    const b = build({ FLICKR_BUDGET_LIMIT: '4' });
    const token = await connectUser(a.client); // OAuth calls go through the client directly, not the budget
    const before = fake.count('flickr.photosets.getList');
    for (let i = 0; i < 4; i++) await (i % 2 ? a : b).service.call('u5', token, 'flickr.photosets.getList', {}, { bypassCache: true });
    const refused = await a.service.call('u5', token, 'flickr.photosets.getList', {}, { bypassCache: true }).catch((e) => e);
    expect(refused).toMatchObject({ slug: 'flickr-budget-exhausted' });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(fake.count('flickr.photosets.getList')).toBe(before + 4);
  });
});
