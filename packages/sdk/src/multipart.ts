import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, extname } from 'node:path';
import { Readable } from 'node:stream';

/**
 * What to upload: a file path (streamed from disk, re-opened on a retry), the bytes themselves, or a
 * stream (Node `Readable` or any async iterable of bytes; read once, so a request with a stream source is
 * never retried by the SDK).
 */
export type UploadSource = string | Uint8Array | Readable | AsyncIterable<Uint8Array>;

/** A multipart/form-data body that can be produced (again) as a stream, with its length when known. */
export interface MultipartBody {
  contentType: string;
  /** Known when the file's size is (path, bytes, or a stream with `size`): sent as Content-Length. */
  contentLength: number | undefined;
  /** True when `open()` can be called again (path or bytes): the SDK may retry the request. */
  replayable: boolean;
  open(): AsyncIterable<Uint8Array>;
}

const MEDIA_TYPES: Record<string, string> = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.gif': 'image/gif',
  '.tif': 'image/tiff',
  '.tiff': 'image/tiff',
  '.webp': 'image/webp',
  '.heic': 'image/heic',
  '.mp4': 'video/mp4',
  '.m4v': 'video/mp4',
  '.mov': 'video/quicktime',
  '.mpg': 'video/mpeg',
  '.mpeg': 'video/mpeg',
  '.avi': 'video/x-msvideo',
  '.webm': 'video/webm',
};

/** The media type for a file name's extension; `application/octet-stream` when unknown (the gateway answers 415). */
export function mediaTypeFor(filename: string): string {
  return MEDIA_TYPES[extname(filename).toLowerCase()] ?? 'application/octet-stream';
}

/** A header parameter value as browsers write it: quotes and line breaks percent-encoded. */
function quoted(value: string): string {
  return value.replace(/"/g, '%22').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/**
 * Builds the body: text fields first (the gateway reads them before the file), then the file part
 * `photo`. The boundary has a fixed length, so the same upload always has the same Content-Length (the
 * gateway compares it when an Idempotency-Key is replayed).
 */
export async function multipartBody(
  source: UploadSource,
  options: { fields: Record<string, string | undefined>; filename?: string; contentType?: string; size?: number },
): Promise<MultipartBody> {
  const boundary = `fgw-sdk-${randomBytes(16).toString('hex')}`;
  const filename = options.filename ?? (typeof source === 'string' ? basename(source) : 'upload');
  const contentType = options.contentType ?? mediaTypeFor(filename);
  const fieldText = Object.entries(options.fields)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${quoted(name)}"\r\n\r\n${value}\r\n`)
    .join('');
  const head = Buffer.from(
    `${fieldText}--${boundary}\r\nContent-Disposition: form-data; name="photo"; filename="${quoted(filename)}"\r\nContent-Type: ${contentType}\r\n\r\n`,
    'utf8',
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`, 'utf8');

  let size: number | undefined;
  let openFile: () => AsyncIterable<Uint8Array>;
  let replayable = true;
  if (typeof source === 'string') {
    size = (await stat(source)).size;
    openFile = () => createReadStream(source, { highWaterMark: 256 * 1024 });
  } else if (source instanceof Uint8Array) {
    size = source.byteLength;
    openFile = () => Readable.from([source], { objectMode: false });
  } else {
    size = options.size;
    replayable = false;
    let opened = false;
    openFile = () => {
      if (opened) throw new Error('an upload stream can be read only once');
      opened = true;
      return source;
    };
  }

  return {
    contentType: `multipart/form-data; boundary=${boundary}`,
    contentLength: size === undefined ? undefined : head.length + size + tail.length,
    replayable,
    open: () => frame(head, openFile(), tail),
  };
}

async function* frame(head: Buffer, file: AsyncIterable<Uint8Array | string>, tail: Buffer): AsyncGenerator<Uint8Array> {
  yield head;
  for await (const chunk of file) yield typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
  yield tail;
}
