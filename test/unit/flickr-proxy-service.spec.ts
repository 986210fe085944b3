import type { FlickrApiService } from '../../src/flickr/flickr-api.service';
import type { FlickrApp, FlickrAppResolver } from '../../src/flickr/flickr-app.resolver';
import { FlickrReauthorizationRequiredProblem } from '../../src/flickr/flickr.errors';
import { FlickrProxyService } from '../../src/flickr/flickr-proxy.service';
import type { UserConnectionService } from '../../src/users/user-connection.service';
import type { UserErasure } from '../../src/users/user-erasure';

/** The proxy service with its adapters replaced by recorders: what it reads and what it sends upstream. */
function harness(
  perms: 'read' | 'write' | 'delete',
  upstream: () => Promise<Record<string, unknown>> = async () => ({ stat: 'ok' }),
  apps: { client?: FlickrApp; tokenAppId?: string } = {},
) {
  const log = {
    tokenReads: 0,
    upstream: [] as Array<{ method: string; params: Record<string, string> }>,
    flipped: 0,
    signedWith: [] as unknown[],
    apps: [] as unknown[],
  };
  const flickr = {
    // Like FlickrApiService: the token reader is only called on the way upstream.
    callJson: async (_scope: string, token: () => Promise<{ consumer?: unknown }>, method: string, params: Record<string, string>, options: { app?: unknown }) => {
      log.signedWith.push((await token()).consumer);
      log.apps.push(options.app);
      log.upstream.push({ method, params });
      return Buffer.from(JSON.stringify(await upstream()));
    },
  } as unknown as FlickrApiService;
  const connections = {
    connectionFor: async () => ({
      user: { created_at: new Date(0), flickr: { perms, ...(apps.tokenAppId ? { app_id: apps.tokenAppId } : {}) } },
      tokens: async () => {
        log.tokenReads++;
        return { token: 't', secret: 's' };
      },
    }),
    markReauthorizationRequired: async () => void log.flipped++,
  } as unknown as UserConnectionService;
  const gateway: FlickrApp = { id: 'default', consumer: { consumerKey: 'gateway-key', consumerSecret: 'gateway-secret' } };
  const resolver = { forClient: async () => apps.client ?? gateway } as unknown as FlickrAppResolver;
  const service = new FlickrProxyService(flickr, connections, {} as UserErasure, resolver);
  return { service, log };
}

const user = { clientId: 'c1', userId: 'u1' };

describe('FlickrProxyService', () => {
  it('a valid call reaches Flickr with the string parameters', async () => {
    const { service, log } = harness('write');
    expect(JSON.parse((await service.call(user, "flickr.photos.addTags", { photo_id: 7, tags: "x" }, false)).toString())).toEqual({ stat: 'ok' });
    expect(log.upstream).toEqual([{ method: 'flickr.photos.addTags', params: { photo_id: '7', tags: 'x' } }]);
  });

  it.each([
    ['flickr.photos.teleport', {}, 'unknown-flickr-method'],
    ['flickr.auth.oauth.getAccessToken', {}, 'flickr-method-gateway-owned'],
    ['flickr.photos.addTags', { tags: 'x' }, 'invalid-flickr-parameters'],
    ['flickr.photos.addTags', { photo_id: '1', tags: 'x', extra: '1' }, 'invalid-flickr-parameters'],
  ])('%s %j: 400 %s before the user or token is read and without an upstream call', async (method, body, slug) => {
    const { service, log } = harness('delete');
    await expect(service.call(user, method, body, false)).rejects.toMatchObject({ slug });
    expect(log.tokenReads).toBe(0);
    expect(log.upstream).toEqual([]);
  });

  it.each([
    ['read', 'flickr.photos.addTags', { photo_id: '1', tags: 'x' }, 'write'],
    ['write', 'flickr.photos.delete', { photo_id: '1' }, 'delete'],
  ] as const)('a %s connection calling %s with %j: 403 naming %s, nothing sent to Flickr', async (perms, method, body, required) => {
    const { service, log } = harness(perms);
    await expect(service.call(user, method, body, false)).rejects.toMatchObject({ slug: 'flickr-permission-required', extensions: { required_permission: required } });
    expect(log.upstream).toEqual([]);
  });

  it('a read connection may call methods needing none or read', async () => {
    const { service, log } = harness('read');
    await service.call(user, 'flickr.photos.getSizes', { photo_id: '1' }, false);
    await service.call(user, 'flickr.test.login', {}, false);
    expect(log.upstream.map((c) => c.method)).toEqual(['flickr.photos.getSizes', 'flickr.test.login']);
  });

  it('Flickr refusing the token flips the connection', async () => {
    const { service, log } = harness('read', async () => {
      throw new FlickrReauthorizationRequiredProblem();
    });
    await expect(service.call(user, 'flickr.test.login', {}, false)).rejects.toBeInstanceOf(FlickrReauthorizationRequiredProblem);
    expect(log.flipped).toBe(1);
  });

  describe("the client's Flickr app", () => {
    const own: FlickrApp = { id: 'app_own', budgetPerWindow: 100, consumer: { consumerKey: 'own-key', consumerSecret: 'own-secret' } };

    it("signs with the client's own app and counts the call against that app's budget", async () => {
      const { service, log } = harness('read', undefined, { client: own, tokenAppId: 'app_own' });
      await service.call(user, 'flickr.test.login', {}, false);
      expect(log.signedWith).toEqual([{ consumerKey: 'own-key', consumerSecret: 'own-secret' }]);
      expect(log.apps).toEqual([{ id: 'app_own', budgetPerWindow: 100 }]);
    });

    it("a connection without an app id was made with the gateway's app and is signed with it", async () => {
      const { service, log } = harness('read');
      await service.call(user, 'flickr.test.login', {}, false);
      expect(log.signedWith).toEqual([{ consumerKey: 'gateway-key', consumerSecret: 'gateway-secret' }]);
      expect(log.apps).toEqual([{ id: 'default', budgetPerWindow: undefined }]);
    });

    it.each([
      ['a connection of the gateway app, the client now on its own', undefined, own],
      ["a connection of the client's former app, the client back on the gateway's", 'app_own', undefined],
      ["a connection of another app than the client's current one", 'app_old', own],
    ])('%s: 409 reauthorization required, the connection flipped, nothing sent', async (_case, tokenAppId, client) => {
      const { service, log } = harness('read', undefined, { client, tokenAppId });
      await expect(service.call(user, 'flickr.test.login', {}, false)).rejects.toBeInstanceOf(FlickrReauthorizationRequiredProblem);
      expect(log.upstream).toEqual([]);
      expect(log.tokenReads).toBe(0);
      expect(log.flipped).toBe(1);
    });
  });
});
