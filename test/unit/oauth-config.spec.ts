import { validateEnvironment } from '../../src/config/env.validation';
import { OAuthConfig } from '../../src/oauth/oauth.config';
import { OAuthPendingSchema } from '../../src/oauth/oauth-pending.schema';

describe('OAuthConfig', () => {
  it('defaults: callback off, 15-minute pending requests', () => {
    const env = validateEnvironment({}, [OAuthConfig]);
    expect(env).toMatchObject({ OAUTH_CALLBACK_ENABLED: false, OAUTH_PENDING_TTL_S: 900 });
  });

  it('callback mode needs a callback URL, and https in production', () => {
    expect(() => validateEnvironment({ OAUTH_CALLBACK_ENABLED: 'true' }, [OAuthConfig])).toThrow(/OAUTH_CALLBACK_URL: must be set/);
    expect(() =>
      validateEnvironment({ NODE_ENV: 'production', OAUTH_CALLBACK_ENABLED: 'true', OAUTH_CALLBACK_URL: 'http://gw.example.com/v1/oauth/callback' }, [OAuthConfig]),
    ).toThrow(/must be https in production/);
    expect(() =>
      validateEnvironment({ NODE_ENV: 'production', OAUTH_CALLBACK_ENABLED: 'true', OAUTH_CALLBACK_URL: 'https://gw.example.com/v1/oauth/callback' }, [OAuthConfig]),
    ).not.toThrow();
    expect(() => validateEnvironment({ OAUTH_CALLBACK_ENABLED: 'maybe' }, [OAuthConfig])).toThrow(/OAUTH_CALLBACK_ENABLED/);
  });

  it('the pending collection declares a TTL index on expires_at (effective on MongoDB)', () => {
    expect(OAuthPendingSchema.indexes()).toContainEqual([{ expires_at: 1 }, expect.objectContaining({ expireAfterSeconds: 0 })]);
  });
});
