import { once } from 'node:events';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadSlice } from '../../src/config/env.validation';
import { FlickrClient, MAX_ANSWER_BYTES } from '../../src/flickr/flickr.client';
import { FlickrConfig } from '../../src/flickr/flickr.config';
import { FlickrUpstreamError } from '../../src/flickr/flickr.errors';
import { FakeFlickr, REAL_FLICKR_ORIGINS } from '../../tools/sandbox-flickr/fake-flickr.server';

/**
 * FlickrClient's transport (undici `request` on its own pool, one deadline per exchange; issue 15) against
 * real HTTP servers: the fake Flickr for what must work (GET reads, multipart POST writes, OAuth), and
 * hostile upstreams for what must not hang: one that never answers, one that trickles its body forever,
 * one whose answer never ends, one that fails. Also: a finished call leaves no deadline behind (AbortSignal.timeout kept its signal, and
 * through fetch the whole exchange, reachable for FLICKR_TIMEOUT_MS after every call).
 */
describe('FlickrClient transport (real servers)', () => {
  let fake: FakeFlickr;
  const servers: Server[] = [];
  const clients: FlickrClient[] = [];

  beforeAll(async () => {
    fake = await FakeFlickr.start({ origins: REAL_FLICKR_ORIGINS });
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.onApplicationShutdown()));
    for (const s of servers) s.closeAllConnections();
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    await fake.close();
  });

  function clientFor(base: string, env: Record<string, string> = {}): FlickrClient {
    const config = loadSlice(FlickrConfig, {
      FLICKR_CONSUMER_KEY: fake.consumerKey,
      FLICKR_CONSUMER_SECRET: fake.consumerSecret,
      FLICKR_API_URL: `${base}/services/rest`,
      FLICKR_UPLOAD_URL: `${base}/services/upload`,
      FLICKR_OAUTH_URL: `${base}/services/oauth`,
      ...env,
    });
    const client = new FlickrClient(config);
    clients.push(client);
    return client;
  }

  /** A local upstream whose every request `handle` answers (or does not). */
  async function upstream(handle: (res: ServerResponse) => void): Promise<string> {
    const server = createServer((_req, res) => handle(res));
    servers.push(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  const token = { oauthToken: 'tok', oauthTokenSecret: 'sec' };

  it('reads (GET) and writes (multipart POST) through the fake, which checks every OAuth signature', async () => {
    const client = clientFor(fake.url);
    const { requestToken, requestTokenSecret } = await client.requestToken('oob');
    const verifier = fake.approve(requestToken, '12345678@N00', 'write');
    const user = await client.accessToken(requestToken, requestTokenSecret, verifier);
    expect(user.nsid).toBe('12345678@N00');
    const photo = fake.addPhoto({ title: 'transport' });
    await expect(client.call(user, 'flickr.photos.getInfo', { photo_id: photo.id })).resolves.toMatchObject({ stat: 'ok', photo: { id: photo.id } });
    // flickr.photos.addTags is a write: flickr-sdk POSTs a FormData, encoded here as fetch would.
    await expect(client.call(user, 'flickr.photos.addTags', { photo_id: photo.id, tags: 'hostile-free' })).resolves.toMatchObject({ stat: 'ok' });
    const info = (await client.call(user, 'flickr.photos.getInfo', { photo_id: photo.id })) as { photo: { tags: { tag: Array<{ raw: string }> } } };
    expect(info.photo.tags.tag.map((t) => t.raw)).toContain('hostile-free');
    // Flickr's own refusal (a forged token) still comes out as Flickr's code.
    await expect(client.call({ oauthToken: 'forged', oauthTokenSecret: 'x' }, 'flickr.test.login', {})).rejects.toMatchObject({ kind: 'fail' });
  });

  it('leaves no timer behind once a call has answered (no AbortSignal.timeout, every deadline cleared)', async () => {
    const client = clientFor(fake.url, { FLICKR_TIMEOUT_MS: '60000' });
    const user = fake.issueToken({ perms: 'read' });
    const photo = fake.addPhoto();
    await client.call(user, 'flickr.photos.getInfo', { photo_id: photo.id }); // warm: the pool's connection
    // AbortSignal.timeout's timer is unref'd and internal (invisible to getActiveResourcesInfo), yet it keeps the
    // signal, and through fetch the whole exchange, alive for FLICKR_TIMEOUT_MS: so it must not be used at all.
    const signalTimeout = jest.spyOn(AbortSignal, 'timeout');
    const set = jest.spyOn(global, 'setTimeout');
    const cleared = jest.spyOn(global, 'clearTimeout');
    try {
      for (let i = 0; i < 20; i++) await client.call(user, 'flickr.photos.getInfo', { photo_id: photo.id });
      expect(signalTimeout).not.toHaveBeenCalled();
      const deadlines = set.mock.calls.filter(([, ms]) => ms === 60_000).length;
      const handles = set.mock.results.filter((r, i) => set.mock.calls[i][1] === 60_000).map((r) => r.value as unknown);
      expect(deadlines).toBe(20);
      for (const h of handles) expect(cleared.mock.calls.some(([c]) => c === h)).toBe(true);
    } finally {
      signalTimeout.mockRestore();
      set.mockRestore();
      cleared.mockRestore();
    }
  });

  it('gives up on an upstream that never answers, as a timeout', async () => {
    const base = await upstream(() => undefined);
    const error = await clientFor(base, { FLICKR_TIMEOUT_MS: '300' }).call(token, 'flickr.test.echo', {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FlickrUpstreamError);
    expect(error).toMatchObject({ kind: 'timeout' });
  });

  it('gives up on an upstream that sends headers, then trickles its body forever (one deadline for the whole exchange)', async () => {
    const base = await upstream((res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{');
      // A byte every 50 ms: never idle long enough for a per-chunk timeout, never done.
      const drip = setInterval(() => res.write(' '), 50);
      res.on('close', () => clearInterval(drip));
    });
    const error = await clientFor(base, { FLICKR_TIMEOUT_MS: '400' }).call(token, 'flickr.test.echo', {}).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'timeout' });
  });

  it('stops reading an answer that never ends once it passes MAX_ANSWER_BYTES (not the deadline, not the memory)', async () => {
    let sent = 0;
    const base = await upstream((res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const mb = Buffer.alloc(1024 * 1024, 0x20);
      const pump = () => {
        while (!res.destroyed && res.write(mb)) sent += mb.length;
        if (!res.destroyed) res.once('drain', pump);
      };
      pump();
    });
    const error = await clientFor(base, { FLICKR_TIMEOUT_MS: '60000' }).call(token, 'flickr.test.echo', {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FlickrUpstreamError);
    expect(error).toMatchObject({ kind: 'http', message: expect.stringContaining(`${MAX_ANSWER_BYTES} bytes`) });
    expect(sent).toBeLessThan(MAX_ANSWER_BYTES * 4); // it stopped reading; the sender was held back
  });

  it('maps an upstream HTTP failure and a truncated answer to upstream errors, not crashes', async () => {
    const failing = await upstream((res) => res.writeHead(502, { 'content-type': 'text/html' }).end('<h1>bad gateway</h1>'));
    await expect(clientFor(failing).call(token, 'flickr.test.echo', {})).rejects.toMatchObject({ kind: 'http', httpStatus: 502 });
    const truncated = await upstream((res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      // Fewer bytes than announced, then the connection closes.
      res.end('{"stat":"ok"', () => res.socket?.destroy());
    });
    const error = await clientFor(truncated).call(token, 'flickr.test.echo', {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FlickrUpstreamError);
    expect(error).toMatchObject({ kind: 'network' });
  });
});
