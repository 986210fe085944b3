import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { FlickrClient } from '../../src/flickr/flickr.client';
import { UserConnectionService } from '../../src/users/user-connection.service';
import { UserOwnershipService } from '../../src/users/user-ownership.service';
import type { FakeFlickr } from '../../tools/sandbox-flickr/fake-flickr.server';
import { AUTH_TEST_ENV, createApiKey } from './factories/api-key.factory';
import { fakeFlickrEnv } from './factories/flickr.factory';
import type { IssuedApiKey } from '../../src/auth/api-key.view';
import { type AppProcess, startAppProcess } from './api-process';


/**
 * Local KMS keys fixed for this test file, so a worker process can decrypt the
 * tokens the in-process API stored (without them each process invents its own).
 */
export function sharedKmsEnv(): Record<string, string> {
  const key = () => randomBytes(32).toString('base64');
  return { KMS_PROVIDER: 'local', KMS_LOCAL_KEYS: `fgw-user-tokens:1:${key()},fgw-app-credentials:1:${key()}` };
}

/**
 * Env for an in-process app whose uploads run through a worker process against
 * `fake`: cheap bcrypt, shared KMS keys, no rate limits, and short polling and
 * dispatch intervals so jobs finish within a test.
 */
export function fastUploadEnv(fake: FakeFlickr): Record<string, string> {
  return {
    ...AUTH_TEST_ENV,
    ...fakeFlickrEnv(fake),
    ...sharedKmsEnv(),
    RATE_LIMIT_ENABLED: 'false',
    UPLOADS_TICKET_POLL_MS: '50',
    UPLOADS_DISPATCH_INTERVAL_MS: '50',
    UPLOADS_RETRY_BASE_MS: '50',
  };
}

/** Registers `userId` for `clientId` and connects it to the fake Flickr with write permission. */
export async function connectUser(app: NestFastifyApplication, fake: FakeFlickr, clientId: string, userId: string): Promise<void> {
  await app.get(UserOwnershipService).register({ clientId, userId });
  const client = app.get(FlickrClient);
  const { requestToken, requestTokenSecret } = await client.requestToken('oob');
  const verifier = fake.approve(requestToken, '12345678@N00', 'write');
  const { oauthToken, oauthTokenSecret } = await client.accessToken(requestToken, requestTokenSecret, verifier);
  await app
    .get(UserConnectionService)
    .connect({ clientId, userId }, { nsid: '12345678@N00', username: 'uploader', fullname: '', perms: 'write' }, { token: oauthToken, secret: oauthTokenSecret });
}

export interface UploadFile {
  filename?: string;
  type?: string;
  /** Size of the generated file; bytes are produced lazily, 1 MiB at a time. */
  bytes: number;
}

export interface UploadResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
}

/**
 * POSTs a multipart upload as a stream (the file is generated on the fly, so
 * the test process never holds it), and reads the answer even when the server
 * answers before the body is fully sent.
 */
export function sendUpload(
  base: string,
  apiKey: string,
  userId: string,
  file: UploadFile,
  fields: Record<string, string> = {},
  headers: Record<string, string> = {},
): Promise<UploadResult> {
  return sendMultipart(`${base}/v1/users/${encodeURIComponent(userId)}/uploads`, apiKey, file, fields, headers);
}

/** POSTs a multipart replacement of `photoId` (a `bytes`-long new.jpg), framed and streamed as {@link sendUpload}. */
export function sendReplace(
  base: string,
  apiKey: string,
  userId: string,
  photoId: string,
  bytes: number,
  fields: Record<string, string> = {},
  headers: Record<string, string> = {},
): Promise<UploadResult> {
  const url = `${base}/v1/users/${encodeURIComponent(userId)}/photos/${encodeURIComponent(photoId)}/replace`;
  return sendMultipart(url, apiKey, { bytes, filename: 'new.jpg' }, fields, headers);
}

/** POSTs `file` (and `fields` before it) as multipart/form-data to `url`, streaming the bytes. */
function sendMultipart(url: string, apiKey: string, file: UploadFile, fields: Record<string, string>, headers: Record<string, string>): Promise<UploadResult> {
  const boundary = `----test${randomBytes(8).toString('hex')}`;
  const head = Buffer.from(
    Object.entries(fields)
      .map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`)
      .join('') +
      `--${boundary}\r\nContent-Disposition: form-data; name="photo"; filename="${file.filename ?? 'photo.jpg'}"\r\nContent-Type: ${file.type ?? 'image/jpeg'}\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const length = head.length + file.bytes + tail.length;
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'POST',
      headers: { 'x-api-key': apiKey, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(length), ...headers },
    });
    let answered = false;
    req.on('response', (res) => {
      answered = true;
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} }));
    });
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    const chunk = Buffer.alloc(1024 * 1024, 0xab);
    let left = file.bytes;
    const pump = () => {
      if (req.destroyed) return;
      if (left === file.bytes) req.write(head);
      while (left > 0) {
        const n = Math.min(left, chunk.length);
        left -= n;
        if (!req.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void req.once('drain', pump);
      }
      req.end(tail);
    };
    pump();
  });
}

/** The worker as its own process (ts-node, like `node dist/worker.js`), sharing this test file's DB and Redis prefix. */
export function startWorker(env: Record<string, string> = {}): Promise<AppProcess> {
  return startAppProcess('src/worker.ts', { portVariable: 'WORKER_PORT', readyPath: '/health/ready', env });
}

/** A new client API key and a user of that client whose Flickr account is connected on the fake. */
export async function connectedClient(app: NestFastifyApplication, fake: FakeFlickr): Promise<{ key: IssuedApiKey; user: string }> {
  const key = await createApiKey(app);
  const user = `u-${randomBytes(3).toString('hex')}`;
  await connectUser(app, fake, key.client_id, user);
  return { key, user };
}
