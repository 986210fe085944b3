import { ProblemException } from './problem.exception';

/**
 * Seconds a client is asked to wait after a data store outage: long enough not to hammer a recovering
 * store, short enough that a blip (a failover, a restart) costs little.
 */
export const DEPENDENCY_RETRY_AFTER_S = 5;

/** 503: MongoDB could not be reached (or did not answer) within its bounded wait; nothing was changed we know of. */
export class DatabaseUnavailableProblem extends ProblemException {
  constructor() {
    super(
      'database-unavailable',
      'Database Unavailable',
      503,
      'The database is unreachable right now; retry after the Retry-After delay.',
      { retryAfterSeconds: DEPENDENCY_RETRY_AFTER_S },
      { 'retry-after': String(DEPENDENCY_RETRY_AFTER_S) },
    );
  }
}

/** 503: Redis is needed by this request (no documented fallback) and is unreachable or did not answer in time. */
export class RedisUnavailableProblem extends ProblemException {
  constructor() {
    super(
      'redis-unavailable',
      'Shared State Unavailable',
      503,
      'Shared state (Redis) is unreachable right now; retry after the Retry-After delay.',
      { retryAfterSeconds: DEPENDENCY_RETRY_AFTER_S },
      { 'retry-after': String(DEPENDENCY_RETRY_AFTER_S) },
    );
  }
}

/**
 * 500: a stored secret (a user's Flickr tokens, an API key's signing secret, a pending OAuth request) failed
 * decryption: altered, moved to another record, or under a key version no longer allowed to decrypt. Retrying
 * cannot help, so no Retry-After; connecting the Flickr account again (or rotating the API key) replaces it.
 */
export class SecretUnreadableProblem extends ProblemException {
  constructor() {
    super(
      'secret-unreadable',
      'Stored Secret Unreadable',
      500,
      'A secret stored for this request (the user\'s Flickr tokens or the key\'s signing secret) cannot be decrypted. ' +
        'Retrying will not help: connect the Flickr account again (or rotate the API key), and quote the request id.',
    );
  }
}

/**
 * MongoDB driver and Mongoose errors that mean "the database is unreachable or did not answer in time", by
 * name (not instanceof: the driver copy that threw may not be the one we would import).
 */
const MONGO_UNAVAILABLE_NAMES = new Set([
  'MongoServerSelectionError',
  'MongooseServerSelectionError',
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoNotConnectedError',
  'MongoTopologyClosedError',
  'MongoServerClosedError',
  'MongoPoolClearedError',
  'MongoPoolClosedError',
  'PoolClearedOnNetworkError',
  'MongoWaitQueueTimeoutError',
  'MongoOperationTimeoutError',
]);

/**
 * Server error codes of a server that cannot serve right now (shutting down, stepping down, no primary,
 * operation time limit): transient states of the deployment, not faults of the request.
 */
const MONGO_UNAVAILABLE_CODES = new Set([
  6, // HostUnreachable
  7, // HostNotFound
  50, // MaxTimeMSExpired
  89, // NetworkTimeout
  91, // ShutdownInProgress
  189, // PrimarySteppedDown
  262, // ExceededTimeLimit
  9001, // SocketException
  10107, // NotWritablePrimary
  11600, // InterruptedAtShutdown
  11602, // InterruptedDueToReplStateChange
  13435, // NotPrimaryNoSecondaryOk
  13436, // NotPrimaryOrSecondary
]);

/** ioredis errors of a connection that is down, reconnecting or silent, by their (constant) messages. */
const REDIS_UNAVAILABLE_MESSAGES = [
  "Stream isn't writeable and enableOfflineQueue options is false",
  'Command timed out',
  'Connection is closed.',
];

/** Reply errors of a Redis that is up but cannot serve (loading, failing over, read-only replica). */
const REDIS_UNAVAILABLE_REPLY = /^(LOADING|MASTERDOWN|READONLY|TRYAGAIN|CLUSTERDOWN|NOREPLICAS)\b/;

interface NamedError {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  cause?: unknown;
}

function isMongoUnavailable(e: NamedError): boolean {
  const name = typeof e.name === 'string' ? e.name : '';
  if (MONGO_UNAVAILABLE_NAMES.has(name)) return true;
  return (name === 'MongoServerError' || name === 'MongoWriteConcernError') && typeof e.code === 'number' && MONGO_UNAVAILABLE_CODES.has(e.code);
}

function isRedisUnavailable(e: NamedError): boolean {
  const name = typeof e.name === 'string' ? e.name : '';
  const message = typeof e.message === 'string' ? e.message : '';
  if (name === 'MaxRetriesPerRequestError') return true;
  if (name === 'ReplyError') return REDIS_UNAVAILABLE_REPLY.test(message);
  return name === 'Error' && REDIS_UNAVAILABLE_MESSAGES.includes(message);
}

/**
 * The problem a data store failure should be answered with, or undefined when `error` is not one. Walks the
 * `cause` chain (a few levels), since Nest, Mongoose or our own adapters may wrap the driver's error. Central,
 * so no route answers 500 for an outage of MongoDB or Redis, or for a secret that cannot be decrypted.
 */
export function dependencyProblemOf(error: unknown): ProblemException | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const e = current as NamedError;
    if (isMongoUnavailable(e)) return new DatabaseUnavailableProblem();
    if (isRedisUnavailable(e)) return new RedisUnavailableProblem();
    if (e.name === 'DecryptionFailedError') return new SecretUnreadableProblem();
    current = e.cause;
  }
  return undefined;
}
