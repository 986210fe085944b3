import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';

/**
 * A multipart/form-data request as the upload intake reads it (`fields`, then a `fileBytes`-long photo
 * p.jpg), for unit tests without an HTTP server. The body goes out when `send()` is called, so a test can
 * act before it arrives; `length` is its content-length.
 */
export function multipartRequest(fileBytes: number, fields: Record<string, string> = {}) {
  const boundary = `----fgw-unit-${randomBytes(8).toString('hex')}`;
  const body = Buffer.concat([
    Buffer.from(Object.entries(fields).map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`).join('')),
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="photo"; filename="p.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`),
    Buffer.alloc(fileBytes, 7),
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  const req = Object.assign(new PassThrough(), {
    method: 'POST',
    complete: false,
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(body.length) },
  });
  req.on('end', () => (req.complete = true));
  return { req: req as unknown as IncomingMessage & PassThrough, send: () => req.end(body), length: body.length };
}
