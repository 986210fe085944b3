import { PerformanceObserver, constants } from 'node:perf_hooks';

type Scavenger = typeof import('../../src/uploads/upload.scavenger');

/** A fresh copy of the module (it caches the GC function it found on first use). */
function freshScavenger(): Scavenger {
  let mod: Scavenger | undefined;
  jest.isolateModules(() => {
    mod = jest.requireActual<Scavenger>('../../src/uploads/upload.scavenger');
  });
  return mod!;
}

/** Young-generation collections seen while `run` executes (GC performance entries of this process). */
async function minorGcsDuring(run: () => void, expected: number): Promise<number> {
  let minor = 0;
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if (((entry as { detail?: unknown }).detail as { kind?: number } | undefined)?.kind === constants.NODE_PERFORMANCE_GC_MINOR) minor++;
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  run();
  // GC entries are delivered asynchronously: wait for them (up to a second) rather than a fixed delay.
  for (let waited = 0; waited < 1000 && minor < expected; waited += 20) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  observer.disconnect();
  return minor;
}

describe('upload scavenger (bounds the off-heap garbage of streaming)', () => {
  const chunk = 64 * 1024;
  const g = globalThis as { gc?: unknown };
  const original = g.gc;
  afterEach(() => {
    g.gc = original;
  });

  it('asks for one young-generation GC per SCAVENGE_EVERY_BYTES streamed, none before', () => {
    // A counting stand-in for V8's gc(): the module takes an existing global gc before exposing its own, and
    // the process's own spontaneous scavenges cannot disturb the count.
    const gc = jest.fn();
    g.gc = gc;
    const { countStreamedBytes, SCAVENGE_EVERY_BYTES } = freshScavenger();
    const chunksPerGc = SCAVENGE_EVERY_BYTES / chunk;
    for (let i = 0; i < chunksPerGc - 1; i++) countStreamedBytes(chunk);
    expect(gc).not.toHaveBeenCalled();
    countStreamedBytes(chunk);
    expect(gc).toHaveBeenCalledTimes(1);
    expect(gc).toHaveBeenCalledWith({ type: 'minor' });
    for (let i = 0; i < 3 * chunksPerGc + 1; i++) countStreamedBytes(chunk);
    expect(gc).toHaveBeenCalledTimes(4);
  });

  it('without a global gc, exposes V8 gc itself and really runs minor collections', async () => {
    delete g.gc;
    const { countStreamedBytes, SCAVENGE_EVERY_BYTES } = freshScavenger();
    // Ten forced scavenges in a loop that allocates almost nothing: far more than V8 would run by itself.
    const seen = await minorGcsDuring(() => {
      for (let i = 0; i < 10; i++) countStreamedBytes(SCAVENGE_EVERY_BYTES);
    }, 10);
    // A no-op gc would show 0 here. Not exactly 10: under load (CI runs test files in parallel) V8 may fold a
    // requested scavenge into one already under way, and one CI run saw 9.
    expect(seen).toBeGreaterThanOrEqual(5);
    // The main context's globals stay untouched.
    expect(g.gc).toBeUndefined();
  });
});
