import { validateEnvironment } from '../../src/config/env.validation';
import { FlickrConfig } from '../../src/flickr/flickr.config';

describe('FLICKR_CACHE_TTL_OVERRIDES', () => {
  it('defaults to no overrides', () => {
    expect(validateEnvironment({}, [FlickrConfig])).toMatchObject({ FLICKR_CACHE_TTL_OVERRIDES: {} });
  });

  it('parses method=seconds pairs', () => {
    const env = validateEnvironment({ FLICKR_CACHE_TTL_OVERRIDES: 'flickr.photos.search=30, flickr.urls.lookupUser=86400,flickr.test.login=0' }, [FlickrConfig]);
    expect(env.FLICKR_CACHE_TTL_OVERRIDES).toEqual({ 'flickr.photos.search': 30, 'flickr.urls.lookupUser': 86_400, 'flickr.test.login': 0 });
  });

  it.each([
    ['flickr.photos.nope=30', /flickr\.photos\.nope: not a Flickr method/],
    ['flickr.photos.delete=30', /flickr\.photos\.delete: a write/],
    ['flickr.auth.oauth.checkToken=30', /owned by the gateway/],
    ['flickr.photos.search=-1', /flickr\.photos\.search: seconds must be/],
    ['flickr.photos.search=soon', /flickr\.photos\.search: seconds must be/],
    ['flickr.photos.search', /flickr\.photos\.search: seconds must be/],
    ['flickr.photos.search=999999999', /seconds must be an integer from 0 to 604800/],
  ])('refuses %s', (value, message) => {
    expect(() => validateEnvironment({ FLICKR_CACHE_TTL_OVERRIDES: value }, [FlickrConfig])).toThrow(message);
  });
});
