import { randomBytes } from 'node:crypto';

/**
 * Runs before each test file: a database and a Redis key prefix of its own, so
 * files never see each other's data even when they run in parallel.
 */
const suffix = randomBytes(4).toString('hex');
process.env.NODE_ENV = 'test';
process.env.LOG_LEVEL ??= 'silent';
process.env.MONGODB_URI = process.env.FGW_TEST_MONGODB_URI ?? 'mongodb://127.0.0.1:27018/flickr_gateway';
process.env.MONGODB_DATABASE = `test_${suffix}`;
process.env.REDIS_URL = process.env.FGW_TEST_REDIS_URL ?? 'redis://127.0.0.1:6380';
process.env.REDIS_KEY_PREFIX = `test:${suffix}:`;
process.env.SHUTDOWN_DRAIN_DELAY_MS = '0';
