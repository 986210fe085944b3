import { HttpException } from '@nestjs/common';
import { Redis, ReplyError } from 'ioredis';
import { MongoClient, MongoNetworkError, MongoServerError } from 'mongodb';
import { renderProblem } from '../../src/common/problem/problem.renderer';
import { DecryptionFailedError } from '../../src/kms/kms.errors';
import { freePort } from '../support/processes';

const PROBLEM = 'urn:flickr-gateway:problem:';

/** What the driver or client really throws, caught. */
async function caught(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure');
}

describe('data store failures are rendered as their own problems, never internal-error', () => {
  it('MongoDB unreachable (the driver gives up selecting a server): 503 database-unavailable with Retry-After', async () => {
    const port = await freePort(); // nothing listens there
    const client = new MongoClient(`mongodb://127.0.0.1:${port}/x`, { serverSelectionTimeoutMS: 200 });
    const error = await caught(() => client.db('x').collection('c').findOne({}));
    await client.close();
    expect((error as Error).name).toBe('MongoServerSelectionError');
    const { body, headers, unexpected, outage } = renderProblem(error, '/v1/users/u', 'rid');
    expect(body).toMatchObject({ type: `${PROBLEM}database-unavailable`, status: 503, retryAfterSeconds: 5, instance: '/v1/users/u', requestId: 'rid' });
    expect(headers).toEqual({ 'retry-after': '5' });
    expect({ unexpected, outage }).toEqual({ unexpected: false, outage: true });
    // The driver's message (host names, ports) stays in the logs.
    expect(body.detail).not.toContain(String(port));
  });

  it('a connection lost mid-operation, a server stepping down or out of time: database-unavailable', () => {
    expect(renderProblem(new MongoNetworkError('connection 3 to 10.0.0.5:27017 closed'), '/', 'r').body.type).toBe(`${PROBLEM}database-unavailable`);
    for (const code of [91, 189, 10107, 11602, 50]) {
      expect(renderProblem(new MongoServerError({ message: 'not now', code }), '/', 'r').body).toMatchObject({ type: `${PROBLEM}database-unavailable`, status: 503 });
    }
  });

  it('a MongoDB error that is the request\'s fault or a bug (duplicate key, bad query) stays a 500 internal-error', () => {
    const duplicate = renderProblem(new MongoServerError({ message: 'E11000 duplicate key', code: 11000 }), '/', 'r');
    expect(duplicate.body.type).toBe(`${PROBLEM}internal-error`);
    expect(duplicate.unexpected).toBe(true);
  });

  it('Redis unreachable with the fail-fast client options: 503 redis-unavailable with Retry-After', async () => {
    const port = await freePort();
    const client = new Redis({ port, lazyConnect: true, enableOfflineQueue: false, retryStrategy: () => null });
    const offline = await caught(() => client.get('k'));
    client.disconnect();
    expect(renderProblem(offline, '/', 'r')).toMatchObject({
      body: { type: `${PROBLEM}redis-unavailable`, status: 503 },
      headers: { 'retry-after': '5' },
      unexpected: false,
      outage: true,
    });
  });

  it('a Redis command that gets no answer in time: redis-unavailable', async () => {
    // A TCP server that accepts and never answers: the command times out on the client.
    const { createServer } = await import('node:net');
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    const client = new Redis({ port, commandTimeout: 100, enableReadyCheck: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    const timedOut = await caught(() => client.get('k'));
    client.disconnect();
    silent.close();
    expect((timedOut as Error).message).toBe('Command timed out');
    expect(renderProblem(timedOut, '/', 'r').body.type).toBe(`${PROBLEM}redis-unavailable`);
  });

  it('Redis replies that mean "cannot serve now" are redis-unavailable; other reply errors stay internal', () => {
    expect(renderProblem(new ReplyError('LOADING Redis is loading the dataset in memory'), '/', 'r').body.type).toBe(`${PROBLEM}redis-unavailable`);
    expect(renderProblem(new ReplyError("READONLY You can't write against a read only replica."), '/', 'r').body.type).toBe(`${PROBLEM}redis-unavailable`);
    expect(renderProblem(new ReplyError('WRONGTYPE Operation against a key holding the wrong kind of value'), '/', 'r').body.type).toBe(`${PROBLEM}internal-error`);
  });

  it('finds the store error behind a wrapper (cause chain)', () => {
    const wrapped = new Error('could not load the user', { cause: new MongoNetworkError('socket hang up') });
    expect(renderProblem(wrapped, '/', 'r').body.type).toBe(`${PROBLEM}database-unavailable`);
    const server = new HttpException('x', 500, { cause: new MongoNetworkError('socket hang up') });
    expect(renderProblem(server, '/', 'r').body).toMatchObject({ type: `${PROBLEM}database-unavailable`, status: 503 });
    // A deliberate client error keeps its status, whatever caused it.
    const client = new HttpException('no such thing', 404, { cause: new MongoNetworkError('socket hang up') });
    expect(renderProblem(client, '/', 'r').body).toMatchObject({ type: `${PROBLEM}not-found`, status: 404 });
  });

  it('DecryptionFailedError: 500 secret-unreadable with a clear, secret-free detail and no Retry-After; logged as unexpected', () => {
    const rendered = renderProblem(new DecryptionFailedError('field failed authentication'), '/v1/users/u/flickr/flickr.test.login', 'r');
    expect(rendered.body).toMatchObject({ type: `${PROBLEM}secret-unreadable`, status: 500, title: 'Stored Secret Unreadable' });
    expect(rendered.body.detail).toContain('Retrying will not help');
    expect(rendered.body.detail).not.toContain('field failed authentication');
    expect(rendered.headers).toEqual({});
    expect(rendered.unexpected).toBe(true);
  });
});
