import type { IncomingMessage } from 'node:http';
import { pipeline } from 'node:stream/promises';
import busboy from 'busboy';
import { PayloadTooLargeProblem, UnsupportedMediaTypeProblem } from '../common/problem/problem.exception';
import { InvalidUploadProblem, UploadTooSlowProblem } from './uploads.errors';
import type { UploadStagingStore } from './upload-staging.store';
import { countStreamedBytes } from './upload.scavenger';

/** A file streamed into staging, with the form fields that came with it. */
export interface StagedUpload {
  fileId: string;
  filename: string;
  mediaType: string;
  bytes: number;
  fields: Record<string, string>;
}

export interface IntakeLimits {
  maxFileBytes: number;
  mediaTypes: readonly string[];
  /** Field names accepted besides the file part `photo`. */
  fields: readonly string[];
  /** The body is refused (408) when no byte arrived for this long. */
  idleTimeoutMs: number;
  /**
   * The slowest average rate accepted: after a grace of `idleTimeoutMs`, a
   * body that has averaged less is refused (408), so a slow-loris client
   * trickling a byte at a time cannot hold a staging stream for ever.
   */
  minBytesPerSecond: number;
}

/** Multipart framing and fields allowed on top of the file before the body counts as too large. */
const OVERHEAD_BYTES = 1024 * 1024;

/**
 * Streams a multipart/form-data request into GridFS: the file part `photo`
 * goes chunk by chunk to staging (pipe backpressure keeps memory flat), the
 * size limit is counted while streaming, and any failure aborts the staged
 * file so nothing is left behind. busboy does the multipart parsing.
 *
 * Nothing a client sends can throw past this function: every stream involved
 * (the request, busboy, the part stream, the GridFS stream) has an error path
 * that ends in one rejection with a problem, and the staged file is discarded.
 */
export function receiveUpload(req: IncomingMessage, staging: UploadStagingStore, limits: IntakeLimits): Promise<StagedUpload> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > limits.maxFileBytes + OVERHEAD_BYTES) {
    // Refused before a byte is read; Node discards the unread body.
    return Promise.reject(tooLarge(limits.maxFileBytes));
  }
  return new Promise<StagedUpload>((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        // One of slack on fileSize and parts: busboy's limits trip on reaching them (a file of exactly the maximum,
        // or a form with every field and the file, is allowed). Extra fields and files trip `fields`/`files` first.
        limits: { fileSize: limits.maxFileBytes + 1, files: 1, fields: limits.fields.length, fieldSize: 64 * 1024, parts: limits.fields.length + 2 },
      });
    } catch {
      return reject(new InvalidUploadProblem('The body is not multipart/form-data with a boundary.'));
    }
    const fields: Record<string, string> = {};
    let staged: { id: string; stream: NodeJS.WritableStream & { abort(): Promise<void> } } | undefined;
    let file: Omit<StagedUpload, 'fields'> | undefined;
    let written: Promise<void> | undefined;
    let failed = false;
    let received = 0;
    const startedAt = Date.now();
    let lastByteAt = startedAt;

    const fail = (problem: Error) => {
      if (failed) return;
      failed = true;
      req.unpipe(parser);
      // Keep reading (and discarding) so the client gets our answer instead of a reset.
      req.resume();
      const abort = staged
        ? staged.stream
            .abort()
            .catch(() => undefined)
            // abort() can race chunk writes still in flight; discard whatever landed.
            .then(() => staging.discard(staged!.id))
            .catch(() => undefined)
        : Promise.resolve();
      void abort.then(() => reject(problem));
    };

    // Slow clients: an idle body or one below the minimum average rate is refused, and the socket closed.
    const watchdog = setInterval(() => {
      const now = Date.now();
      const elapsedS = (now - startedAt) / 1000;
      const tooIdle = now - lastByteAt >= limits.idleTimeoutMs;
      const tooSlow = now - startedAt >= limits.idleTimeoutMs && received / elapsedS < limits.minBytesPerSecond;
      if (tooIdle || tooSlow) {
        fail(new UploadTooSlowProblem(limits.idleTimeoutMs, limits.minBytesPerSecond));
        // The answer cannot be read by a client that is not reading; end the connection after it.
        setTimeout(() => req.destroy(), 1000).unref();
      }
    }, Math.max(50, Math.min(1000, Math.floor(limits.idleTimeoutMs / 4))));
    watchdog.unref();
    clearWatchdog.set(req, () => clearInterval(watchdog));

    req.on('data', (chunk: Buffer) => {
      received += chunk.length;
      lastByteAt = Date.now();
      // Keeps the off-heap garbage of streaming bounded (see upload.scavenger.ts).
      countStreamedBytes(chunk.length);
      // Chunked bodies have no Content-Length to check up front.
      if (received > limits.maxFileBytes + OVERHEAD_BYTES) {
        fail(tooLarge(limits.maxFileBytes));
        req.destroy();
      }
    });
    // A client that disconnects mid-body: 'aborted'/'close' without completion, or an 'error' (ECONNRESET),
    // which would be an uncaught exception without a listener.
    req.on('aborted', () => fail(new InvalidUploadProblem('The client aborted the upload.')));
    req.on('error', () => fail(new InvalidUploadProblem('The client aborted the upload.')));
    req.on('close', () => {
      if (!req.complete) fail(new InvalidUploadProblem('The client aborted the upload.'));
    });

    parser.on('field', (name, value, info) => {
      if (failed) return;
      if (!limits.fields.includes(name)) return fail(new InvalidUploadProblem(`Unknown form field '${name}'.`));
      if (info.valueTruncated) return fail(new InvalidUploadProblem(`Form field '${name}' is too long.`));
      fields[name] = value;
    });
    parser.on('file', (name, stream, info) => {
      // busboy reports a body that ends mid-part ("Unexpected end of form") on the part stream too: always listen.
      stream.on('error', () => fail(new InvalidUploadProblem('The multipart body ended before the file was complete.')));
      if (failed) return void stream.resume();
      if (name !== 'photo') {
        stream.resume();
        return fail(new InvalidUploadProblem(`The file must be sent in the form field 'photo', not '${name}'.`));
      }
      const mediaType = (info.mimeType ?? '').toLowerCase();
      if (!limits.mediaTypes.includes(mediaType)) {
        stream.resume();
        return fail(new UnsupportedMediaTypeProblem(limits.mediaTypes, info.mimeType));
      }
      const filename = (info.filename ?? 'upload').slice(0, 255);
      staged = staging.openWrite(filename, mediaType);
      let bytes = 0;
      stream.on('data', (chunk: Buffer) => (bytes += chunk.length));
      stream.on('limit', () => {
        stream.unpipe();
        stream.resume();
        fail(tooLarge(limits.maxFileBytes));
      });
      const id = staged.id;
      stream.on('end', () => {
        file = { fileId: id, filename, mediaType, bytes };
      });
      // pipeline() forwards an error of either side and destroys both: no stream is left without a listener.
      written = pipeline(stream, staged.stream as unknown as NodeJS.WritableStream);
      written.catch((err: Error) => fail(failed ? err : storageOrClientError(err)));
    });
    parser.on('error', () => fail(new InvalidUploadProblem('The multipart body is malformed.')));
    parser.on('filesLimit', () => fail(new InvalidUploadProblem('Send exactly one file.')));
    parser.on('fieldsLimit', () => fail(new InvalidUploadProblem('Too many form fields.')));
    parser.on('partsLimit', () => fail(new InvalidUploadProblem('Too many parts.')));
    parser.on('close', () => {
      if (failed) return;
      if (!written) return fail(new InvalidUploadProblem("The form has no file part 'photo'."));
      written.then(
        () => {
          if (failed) return;
          if (!file || file.bytes === 0) return fail(new InvalidUploadProblem('The file is empty.'));
          if (file.bytes > limits.maxFileBytes) return fail(tooLarge(limits.maxFileBytes));
          resolve({ ...file, fields });
        },
        (err: Error) => fail(storageOrClientError(err)),
      );
    });
    req.pipe(parser);
  }).finally(() => clearWatchdog.get(req)?.());
}

/** The watchdog of each request in flight, cleared when the intake settles. */
const clearWatchdog = new WeakMap<IncomingMessage, () => void>();

/**
 * An error of the part stream is the client's (the body ended early or is
 * malformed); an error of the GridFS stream is ours (MongoDB) and is passed on
 * for the problem filter to map.
 */
function storageOrClientError(err: Error): Error {
  return err.name.startsWith('Mongo') || err.name.startsWith('GridFS') ? err : new InvalidUploadProblem('The multipart body is malformed or ended early.');
}

function tooLarge(max: number): PayloadTooLargeProblem {
  return new PayloadTooLargeProblem(`The file is larger than ${max} bytes.`);
}
