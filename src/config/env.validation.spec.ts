import { AppConfig } from './app.config';
import { ConfigValidationError, loadSlice, validateEnvironment } from './env.validation';
import { MongoConfig } from '../database/mongo.config';
import { RedisConfig } from '../redis/redis.config';

const SLICES = [AppConfig, MongoConfig, RedisConfig];

function problemsOf(env: Record<string, string>): string[] {
  try {
    validateEnvironment(env, SLICES);
    return [];
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigValidationError);
    return (error as ConfigValidationError).problems;
  }
}

describe('environment parsing', () => {
  it('accepts an empty development environment with local defaults', () => {
    expect(problemsOf({})).toEqual([]);
    const app = loadSlice(AppConfig, {});
    expect(app.PORT).toBe(3000);
    expect(app.CORS_ORIGINS).toEqual([]);
    expect(app.JSON_BODY_LIMIT_BYTES).toBe(10 * 1024 * 1024);
  });

  it('parses numbers, booleans and lists from strings', () => {
    const app = loadSlice(AppConfig, { PORT: '8080', SWAGGER_ENABLED: 'false', CORS_ORIGINS: 'https://a.example, https://b.example' });
    expect(app.PORT).toBe(8080);
    expect(app.SWAGGER_ENABLED).toBe(false);
    expect(app.CORS_ORIGINS).toEqual(['https://a.example', 'https://b.example']);
    expect(loadSlice(RedisConfig, { REDIS_SENTINELS: 'h1:26379,h2:26380' }).REDIS_SENTINELS).toEqual(['h1:26379', 'h2:26380']);
  });

  it('accepts the sandbox Flickr and pretty logs outside production; JSON and no sandbox by default', () => {
    expect(problemsOf({ FLICKR_SANDBOX: 'true', LOG_FORMAT: 'pretty' })).toEqual([]);
    expect(loadSlice(AppConfig, {})).toMatchObject({ FLICKR_SANDBOX: false, LOG_FORMAT: 'json' });
    expect(problemsOf({ LOG_FORMAT: 'colourful' })[0]).toMatch(/^LOG_FORMAT: /);
  });

  it('treats an empty string as unset', () => {
    expect(loadSlice(AppConfig, { PORT: '' }).PORT).toBe(3000);
  });

  it('names every offending variable at once, across slices', () => {
    const problems = problemsOf({ PORT: '80x', LOG_LEVEL: 'chatty', MONGODB_URI: 'postgres://x', REDIS_SENTINELS: 'nohost' });
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(['LOG_LEVEL', 'MONGODB_URI', 'PORT', 'REDIS_SENTINELS']);
  });

  it('rejects out-of-range values', () => {
    expect(problemsOf({ PORT: '70000' })[0]).toMatch(/^PORT: /);
    expect(problemsOf({ SHUTDOWN_GRACE_MS: '-1' })[0]).toMatch(/^SHUTDOWN_GRACE_MS: /);
  });

  describe('with NODE_ENV=production', () => {
    const prod = { NODE_ENV: 'production', MONGODB_URI: 'mongodb://db/x', REDIS_URL: 'redis://r:6379' };

    it('accepts explicit settings', () => {
      expect(problemsOf({ ...prod, CORS_ORIGINS: 'https://app.example' })).toEqual([]);
    });

    it('refuses wildcard CORS', () => {
      expect(problemsOf({ ...prod, CORS_ORIGINS: '*' })).toEqual(['CORS_ORIGINS: wildcard origins are refused in production']);
      expect(problemsOf({ ...prod, CORS_ORIGINS: 'https://*.example' })).toHaveLength(1);
    });

    it('refuses the sandbox Flickr and pretty logs, naming each', () => {
      expect(problemsOf({ ...prod, FLICKR_SANDBOX: 'true' })).toEqual([
        'FLICKR_SANDBOX: the sandbox Flickr is for local development and is refused in production; configure FLICKR_CONSUMER_KEY/SECRET of a real Flickr app',
      ]);
      expect(problemsOf({ ...prod, LOG_FORMAT: 'pretty' })).toEqual(['LOG_FORMAT: pretty is for local development; production logs are JSON']);
      expect(problemsOf({ ...prod, FLICKR_SANDBOX: 'false', LOG_FORMAT: 'json' })).toEqual([]);
    });

    it('refuses falling back to the local-development data stores', () => {
      expect(problemsOf({ NODE_ENV: 'production' }).sort()).toEqual([
        'MONGODB_URI: must be set in production',
        'REDIS_URL: must be set in production (or REDIS_SENTINELS)',
      ]);
    });
  });
});
