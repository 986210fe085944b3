import type { Redis } from 'ioredis';

/**
 * Closes a client for good: QUIT when connected (pending replies arrive first),
 * otherwise a plain disconnect, since a QUIT queued on a reconnecting client
 * would keep the process alive until Redis came back.
 */
export async function closeRedis(client: Redis): Promise<void> {
  if (client.status === 'ready') {
    await client.quit().catch(() => client.disconnect());
  } else {
    client.disconnect();
  }
}
