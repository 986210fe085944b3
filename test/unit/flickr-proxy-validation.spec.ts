import { flickrMethod, flickrMethodClass, flickrMethodPolicy, gatewayOwnedReason, PROXIABLE_FLICKR_METHODS } from '../../src/flickr/flickr.methods';
import { assertFlickrPermission, validateFlickrCall } from '../../src/flickr/flickr-proxy.validation';
import type { ProblemException } from '../../src/common/problem/problem.exception';

/** The problem `fn` throws (fails the test when it throws nothing or something else). */
function problemOf(fn: () => unknown): ProblemException {
  try {
    fn();
  } catch (error) {
    if ((error as ProblemException).slug) return error as ProblemException;
    throw error;
  }
  throw new Error('expected a problem, nothing was thrown');
}

const method = (name: string) => {
  const m = flickrMethod(name);
  if (!m) throw new Error(`${name} is not in the catalogue`);
  return m;
};

describe('proxy validation from the catalogue', () => {
  it('accepts a catalogued method with its required parameters and converts scalars', () => {
    const call = validateFlickrCall('flickr.photos.addTags', { photo_id: 123, tags: 'a b' });
    expect(call.method.name).toBe('flickr.photos.addTags');
    expect(call.params).toEqual({ photo_id: '123', tags: 'a b' });
    expect(validateFlickrCall('flickr.photos.search', undefined).params).toEqual({});
  });

  it('an unknown method is 400 unknown-flickr-method naming the catalogue route', () => {
    const p = problemOf(() => validateFlickrCall('flickr.photos.teleport', {}));
    expect(p.slug).toBe('unknown-flickr-method');
    expect(p.getStatus()).toBe(400);
    expect(p.extensions).toMatchObject({ method: 'flickr.photos.teleport', catalogue: '/v1/flickr/methods' });
  });

  it('a gateway-owned method is 400 flickr-method-gateway-owned with the reason, even with valid parameters', () => {
    for (const name of ['flickr.auth.oauth.getAccessToken', 'flickr.auth.getFrob', 'flickr.test.echo', 'flickr.photos.upload', 'flickr.photos.replace']) {
      const p = problemOf(() => validateFlickrCall(name, {}));
      expect({ name, slug: p.slug, status: p.getStatus() }).toEqual({ name, slug: 'flickr-method-gateway-owned', status: 400 });
      expect(p.extensions.reason).toBe(gatewayOwnedReason(name));
      expect(String(p.extensions.reason).length).toBeGreaterThan(20);
    }
    expect(PROXIABLE_FLICKR_METHODS).not.toContain('flickr.test.echo');
    expect(PROXIABLE_FLICKR_METHODS).toContain('flickr.photos.upload.checkTickets');
  });

  it('missing required and unknown parameters are one 400 listing both', () => {
    const p = problemOf(() => validateFlickrCall('flickr.photos.addTags', { tags: 'x', photoid: '1', colour: 'red' }));
    expect(p.slug).toBe('invalid-flickr-parameters');
    expect(p.getStatus()).toBe(400);
    expect(p.extensions).toEqual({ method: 'flickr.photos.addTags', missing: ['photo_id'], unknown: ['colour', 'photoid'] });
  });

  it('an empty required parameter counts as missing', () => {
    expect(problemOf(() => validateFlickrCall('flickr.photos.getSizes', { photo_id: '' })).extensions).toMatchObject({ missing: ['photo_id'], unknown: [] });
  });

  it('the method is checked before the body: an unknown method with a broken body is still unknown-flickr-method', () => {
    expect(problemOf(() => validateFlickrCall('flickr.nope.nothing', [1, 2])).slug).toBe('unknown-flickr-method');
    expect(problemOf(() => validateFlickrCall('flickr.photos.search', [1, 2])).slug).toBe('validation-failed');
    expect(problemOf(() => validateFlickrCall('flickr.photos.search', { oauth_token: 'x' })).slug).toBe('validation-failed');
  });
});

describe('permission checks', () => {
  const cases: Array<[string, string, boolean]> = [
    ['flickr.photos.getSizes', 'read', true], // none
    ['flickr.test.login', 'read', true], // read
    ['flickr.photos.addTags', 'read', false], // write
    ['flickr.photos.addTags', 'write', true],
    ['flickr.photos.addTags', 'delete', true],
    ['flickr.photos.delete', 'write', false], // delete
    ['flickr.photos.delete', 'delete', true],
  ];
  it.each(cases)('%s with a %s connection: allowed = %s', (name, granted, allowed) => {
    const run = () => assertFlickrPermission(method(name), 'u-1', granted);
    if (allowed) expect(run).not.toThrow();
    else expect(problemOf(run).slug).toBe('flickr-permission-required');
  });

  it('the 403 names the permission needed, the one granted and how to re-connect', () => {
    const p = problemOf(() => assertFlickrPermission(method('flickr.photos.delete'), 'u-1', 'write'));
    expect(p.getStatus()).toBe(403);
    expect(p.extensions).toEqual({
      method: 'flickr.photos.delete',
      required_permission: 'delete',
      granted_permission: 'write',
      reconnect: { method: 'POST', path: '/v1/oauth/start', body: { user_id: 'u-1', perms: 'delete' } },
    });
    expect(p.detail).toContain('POST /v1/oauth/start');
  });

  it('an unrecognised or missing grant counts as read', () => {
    expect(problemOf(() => assertFlickrPermission(method('flickr.photos.addTags'), 'u-1', 'admin')).extensions.required_permission).toBe('write');
    expect(() => assertFlickrPermission(method('flickr.test.login'), 'u-1', undefined)).not.toThrow();
  });
});

describe('rate-limit class and call policy', () => {
  it('classes from the catalogue: deletes are writes, unknown names count as reads', () => {
    expect(flickrMethodClass('flickr.photos.delete')).toBe('write');
    expect(flickrMethodClass('flickr.favorites.add')).toBe('write');
    expect(flickrMethodClass('flickr.photos.getSizes')).toBe('read');
    expect(flickrMethodClass('flickr.no.such')).toBe('read');
    expect(flickrMethodClass('__proto__')).toBe('read');
  });

  it('applies cache TTL overrides to reads only; gateway-owned and unknown methods have no policy', () => {
    expect(flickrMethodPolicy('flickr.photos.search')).toEqual({ class: 'read', cacheTtlS: 60 });
    expect(flickrMethodPolicy('flickr.photos.search', { 'flickr.photos.search': 5 })).toEqual({ class: 'read', cacheTtlS: 5 });
    expect(flickrMethodPolicy('flickr.photos.delete', { 'flickr.photos.delete': 5 })).toEqual({ class: 'write', cacheTtlS: 0 });
    expect(flickrMethodPolicy('flickr.auth.oauth.getAccessToken')).toBeUndefined();
    expect(flickrMethodPolicy('flickr.no.such')).toBeUndefined();
  });
});
