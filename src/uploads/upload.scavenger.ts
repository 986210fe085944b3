import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Bytes of upload streamed (all requests of the process together) between two
 * young-generation collections. Each byte streamed into GridFS leaves about four
 * short-lived off-heap copies behind (Node's HTTP body chunk, the GridFS chunk
 * copy, the BSON document, the driver's wire message), so 4 MiB streamed is
 * about 16 MiB of garbage before it is collected.
 */
export const SCAVENGE_EVERY_BYTES = 4 * 1024 * 1024;

type MinorGc = (options: { type: 'minor' }) => void;

/**
 * Why this exists: the buffers a stream leaves behind are ArrayBuffers whose
 * memory lives outside V8's heap; their JS handles are tiny, so the young
 * generation hardly fills and no scavenge runs. V8 then collects them only once
 * external memory has grown about 64 MiB past the last full GC
 * ("external memory pressure"), so a single 100 MiB upload raised the API's peak
 * RSS by 61-71 MiB although less than 1 MiB was ever in flight
 * (test/e2e/uploads-worker.e2e-spec.ts; measured with --trace-gc and
 * --trace-incremental-marking). A minor GC every few MiB streamed frees them
 * while they are still young, for a few milliseconds each; the measured growth
 * drops to a few MiB. No library does this; Node exposes GC only through the
 * `--expose-gc` V8 flag, which is turned on here for this one function.
 */
function loadMinorGc(): MinorGc | undefined {
  const existing = (globalThis as { gc?: MinorGc }).gc;
  if (typeof existing === 'function') return existing;
  try {
    setFlagsFromString('--expose-gc');
    // The flag applies to contexts created after it: a fresh context hands out its `gc`, and the
    // main context's globals stay untouched.
    const gc = runInNewContext('gc') as unknown;
    return typeof gc === 'function' ? (gc as MinorGc) : undefined;
  } catch {
    return undefined;
  }
}

let minorGc: MinorGc | null | undefined;
let sinceLast = 0;

/**
 * Counts upload bytes received by this process and runs a young-generation
 * collection each time {@link SCAVENGE_EVERY_BYTES} more have streamed, so the
 * garbage of streaming stays bounded whatever the number of concurrent uploads.
 * A no-op when the runtime does not allow it.
 */
export function countStreamedBytes(bytes: number): void {
  sinceLast += bytes;
  if (sinceLast < SCAVENGE_EVERY_BYTES) return;
  sinceLast = 0;
  if (minorGc === undefined) minorGc = loadMinorGc() ?? null;
  minorGc?.({ type: 'minor' });
}
