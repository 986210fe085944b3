import type { FlickrApiService } from '../../src/flickr/flickr-api.service';
import { FlickrReauthorizationRequiredProblem } from '../../src/flickr/flickr.errors';
import { FlickrProxyService } from '../../src/flickr/flickr-proxy.service';
import type { UserConnectionService } from '../../src/users/user-connection.service';
import type { UserErasure } from '../../src/users/user-erasure';

/** The proxy service with its adapters replaced by recorders: what it reads and what it sends upstream. */
function harness(perms: 'read' | 'write' | 'delete', upstream: () => Promise<Record<string, unknown>> = async () => ({ stat: 'ok' })) {
  const log = { tokenReads: 0, upstream: [] as Array<{ method: string; params: Record<string, string> }>, flipped: 0 };
  const flickr = {
    // Like FlickrApiService: the token reader is only called on the way upstream.
    call: async (_scope: string, token: () => Promise<unknown>, method: string, params: Record<string, string>) => {
      await token();
      log.upstream.push({ method, params });
      return upstream();
    },
  } as unknown as FlickrApiService;
  const connections = {
    connectionFor: async () => ({
      user: { created_at: new Date(0), flickr: { perms } },
      tokens: async () => {
        log.tokenReads++;
        return { token: 't', secret: 's' };
      },
    }),
    markReauthorizationRequired: async () => void log.flipped++,
  } as unknown as UserConnectionService;
  const service = new FlickrProxyService(flickr, connections, {} as UserErasure);
  return { service, log };
}

const user = { clientId: 'c1', userId: 'u1' };

describe('FlickrProxyService', () => {
  it('a valid call reaches Flickr with the string parameters', async () => {
    const { service, log } = harness('write');
    await expect(service.call(user, 'flickr.photos.addTags', { photo_id: 7, tags: 'x' }, false)).resolves.toEqual({ stat: 'ok' });
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
});
