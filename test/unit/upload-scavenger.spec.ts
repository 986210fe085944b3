import { PerformanceObserver, constants } from 'node:perf_hooks';
import { countStreamedBytes, SCAVENGE_EVERY_BYTES } from '../../src/uploads/upload.scavenger';

/** Young-generation collections seen while `run` executes (GC performance entries of this process). */
async function minorGcsDuring(run: () => void): Promise<number> {
  let minor = 0;
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if (((entry as { detail?: unknown }).detail as { kind?: number } | undefined)?.kind === constants.NODE_PERFORMANCE_GC_MINOR) minor++;
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  run();
  // GC entries are delivered asynchronously.
  await new Promise((resolve) => setTimeout(resolve, 50));
  observer.disconnect();
  return minor;
}

describe('upload scavenger (bounds the off-heap garbage of streaming)', () => {
  it('runs one young-generation GC per SCAVENGE_EVERY_BYTES streamed, none before', async () => {
    // Start from a known point: this crosses the threshold once.
    countStreamedBytes(SCAVENGE_EVERY_BYTES);
    const chunk = 64 * 1024;
    const chunksPerGc = SCAVENGE_EVERY_BYTES / chunk;
    expect(await minorGcsDuring(() => {
      for (let i = 0; i < chunksPerGc - 1; i++) countStreamedBytes(chunk);
    })).toBe(0);
    expect(await minorGcsDuring(() => {
      for (let i = 0; i < 3 * chunksPerGc + 1; i++) countStreamedBytes(chunk);
    })).toBe(4);
  });
});
