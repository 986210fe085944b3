import { ApiKeyChanges } from '../../src/auth/api-key.changes';
import type { ApiKeyVerifier } from '../../src/auth/api-key.verifier';
import type { InvalidationRetryOptions } from '../../src/auth/key-invalidation.outbox';

const FAST_RETRY: InvalidationRetryOptions = { attemptTimeoutMs: 100, initialDelayMs: 5, maxDelayMs: 20, settleMs: 30 };

/** ApiKeyChanges with the verifier's cache, the security-event store and the Redis bus replaced; one ordered log. */
function setup(options: { eventFails?: boolean; publishFails?: boolean } = {}) {
  const log: string[] = [];
  const verifier = { forget: (id: string) => log.push(`forget:${id}`) } as unknown as ApiKeyVerifier;
  const events = {
    record: async (e: { action: string }) => {
      await new Promise((r) => setTimeout(r, 5));
      log.push(`event:${e.action}`);
      if (options.eventFails) throw new Error('event store down');
    },
  };
  const bus = {
    publish: async (id: string) => {
      if (options.publishFails) throw new Error('Connection is closed.');
      log.push(`publish:${id}`);
    },
  };
  return { changes: new ApiKeyChanges(verifier, bus as any, events as any, FAST_RETRY), log };
}

async function until(probe: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error('condition not met');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const event = (action: string) => ({ action, actor: 'test', target: 'k', details: {} });

describe('ApiKeyChanges (adapters replaced)', () => {
  it('after a committed change: forgets here first, then writes the event, then announces', async () => {
    const { changes, log } = setup();
    await changes.committed('k', event('auth.key.revoked'));
    await until(() => changes.invalidations.undelivered().length === 0);
    expect(log).toEqual(['forget:k', 'event:auth.key.revoked', 'publish:k']);
  });

  it('announces even when the event write fails, and the caller sees that failure', async () => {
    const { changes, log } = setup({ eventFails: true });
    await expect(changes.committed('k', event('auth.key.updated'))).rejects.toThrow('event store down');
    await until(() => changes.invalidations.undelivered().length === 0);
    expect(log).toEqual(['forget:k', 'event:auth.key.updated', 'publish:k']);
  });

  it('a created key is only recorded: never cached anywhere, so nothing to forget or announce', async () => {
    const { changes, log } = setup();
    await changes.created(event('auth.key.created'));
    expect(log).toEqual(['event:auth.key.created']);
    expect(changes.invalidations.undelivered()).toEqual([]);
  });

  it('does not wait for Redis, and reports at shutdown what was never delivered', async () => {
    const { changes } = setup({ publishFails: true });
    await changes.committed('k', event('auth.key.revoked'));
    expect(changes.invalidations.undelivered()).toEqual(['k']);
    changes.onApplicationShutdown();
    expect(changes.invalidations.close()).toEqual(['k']);
  });
});
