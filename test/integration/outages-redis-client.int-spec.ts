import { createServer, type Server, type Socket } from 'node:net';
import type { Redis } from 'ioredis';
import { loadSlice } from '../../src/config/env.validation';
import { RedisConfig } from '../../src/redis/redis.config';
import { RedisConnectionFactory } from '../../src/redis/redis.factory';
import { RedisReplication } from '../../src/redis/redis.replication';
import { RedisProcess, waitFor } from '../support/processes';

const factoryFor = (env: Record<string, string>) => new RedisConnectionFactory(loadSlice(RedisConfig, { ...process.env, ...env }));

/** How long a promise takes to settle, and how. */
async function timed<T>(run: () => Promise<T>): Promise<{ ms: number; value?: T; error?: Error }> {
  const started = Date.now();
  try {
    const value = await run();
    return { ms: Date.now() - started, value };
  } catch (error) {
    return { ms: Date.now() - started, error: error as Error };
  }
}

/** The request-path Redis client of RedisConnectionFactory against real servers that go away or go silent. */
describe('fail-fast Redis clients (real redis-server)', () => {
  const clients: Redis[] = [];
  let redis: RedisProcess;
  let silent: Server | undefined;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    redis = await RedisProcess.start();
  });
  afterAll(async () => {
    for (const c of clients) c.disconnect();
    for (const s of sockets) s.destroy();
    silent?.close();
    await redis.stop();
  });

  it('while Redis is down a command fails at once (no offline queue), long before the command timeout; it works again after a restart', async () => {
    // A long command timeout, so only the missing offline queue can explain a fast failure.
    const client = factoryFor({ REDIS_URL: redis.url, REDIS_COMMAND_TIMEOUT_MS: '5000' }).create('test');
    clients.push(client);
    expect(await client.set('k', 'v')).toBe('OK'); // issued before the first connection: waits for it
    await redis.stop();
    await waitFor(async () => client.status !== 'ready');
    const down = await timed(() => client.get('k'));
    expect(down.error?.message).toBe("Stream isn't writeable and enableOfflineQueue options is false");
    expect(down.ms).toBeLessThan(1000);

    await redis.restart();
    await waitFor(async () => (await client.ping().catch(() => undefined)) === 'PONG', { timeoutMs: 15_000 });
  });

  it('a Redis that accepts connections but never answers: the command fails after REDIS_COMMAND_TIMEOUT_MS', async () => {
    silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent!.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    const client = factoryFor({ REDIS_URL: `redis://127.0.0.1:${port}`, REDIS_COMMAND_TIMEOUT_MS: '300' }).create('test', { enableReadyCheck: false });
    clients.push(client);
    const hung = await timed(() => client.get('k'));
    expect(hung.error?.message).toBe('Command timed out');
    expect(hung.ms).toBeGreaterThanOrEqual(250);
    expect(hung.ms).toBeLessThan(300 + 1000);
  });

  it('WAIT keeps its own limit (REDIS_WAIT_TIMEOUT_MS) even when it is longer than the command timeout', async () => {
    // One replica wanted, none attached: WAIT blocks for the whole REDIS_WAIT_TIMEOUT_MS, then says 0.
    // The command timeout (300 ms) is well below the wait; the 300 ms it adds as WAIT's own margin absorbs a busy CI machine (100 ms once did not).
    const env = { REDIS_URL: redis.url, REDIS_COMMAND_TIMEOUT_MS: '300', REDIS_WAIT_REPLICAS: '1', REDIS_WAIT_TIMEOUT_MS: '600' };
    const client = factoryFor(env).create('test');
    clients.push(client);
    await client.set('written', '1');
    const confirmed = await timed(() => new RedisReplication(loadSlice(RedisConfig, { ...process.env, ...env })).confirm(client));
    expect(confirmed.error).toBeUndefined();
    expect(confirmed.value).toBe(false);
    expect(confirmed.ms).toBeGreaterThanOrEqual(550);
  });
});
