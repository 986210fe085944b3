import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import type { IssuedApiKey } from '../../src/auth/api-key.view';
import { UploadLanesStore } from '../../src/uploads/upload-lanes.store';
import { UploadStagingStore } from '../../src/uploads/upload-staging.store';
import { UserOwnershipService } from '../../src/users/user-ownership.service';
import { type ApiProcess, startApiProcess } from '../support/api-process';
import { AUTH_TEST_ENV, createApiKey } from '../support/factories/api-key.factory';
import { signedHeaders } from '../support/factories/signed-request';
import { waitFor } from '../support/processes';
import { startTestApp, type TestApp } from '../support/test-app';

interface RawAnswer {
  status?: number;
  body: string;
  /** The server closed the connection (with or without an answer). */
  closed: boolean;
  ms: number;
}

/**
 * Speaks HTTP/1.1 on a raw socket, so a test can send exactly the bytes (and
 * the timing) a broken or hostile client would: `chunks` are written in order,
 * `gapMs` apart; `destroyAfter` drops the connection after that many chunks.
 */
function rawRequest(port: number, head: string, chunks: Buffer[], options: { gapMs?: number; destroyAfter?: number; waitMs?: number } = {}): Promise<RawAnswer> {
  const started = Date.now();
  return new Promise((resolve) => {
    const socket: Socket = connect(port, '127.0.0.1');
    let data = '';
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(limit);
      const m = /^HTTP\/1\.1 (\d{3})/.exec(data);
      const split = data.indexOf('\r\n\r\n');
      socket.destroy();
      resolve({ status: m ? Number(m[1]) : undefined, body: split >= 0 ? data.slice(split + 4) : '', closed, ms: Date.now() - started });
    };
    const limit = setTimeout(() => finish(false), options.waitMs ?? 20_000);
    socket.on('data', (d) => {
      data += String(d);
      // One complete answer (problem bodies are small JSON) is enough.
      const split = data.indexOf('\r\n\r\n');
      const length = /content-length: (\d+)/i.exec(data.slice(0, split))?.[1];
      if (split >= 0 && length !== undefined && data.length - split - 4 >= Number(length)) finish(false);
    });
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
    socket.write(head);
    let i = 0;
    const next = () => {
      if (done) return;
      if (options.destroyAfter !== undefined && i >= options.destroyAfter) return void socket.destroy();
      if (i >= chunks.length) return;
      socket.write(chunks[i++]);
      setTimeout(next, options.gapMs ?? 0);
    };
    next();
  });
}

const BOUNDARY = 'hostileboundary42';
const filePart = (name = 'photo', filename: string | null = 'a.jpg') =>
  `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"${filename === null ? '' : `; filename="${filename}"`}\r\nContent-Type: image/jpeg\r\n\r\n`;
const closing = `\r\n--${BOUNDARY}--\r\n`;

/**
 * Hostile and broken clients against a real API process: each gets a clear
 * 4xx (or its connection closed by a timeout), the process keeps serving,
 * nothing is left in staging or in the caps, and nothing escaped to the
 * process-level last resort.
 */
describe('hostile input against a real API process', () => {
  let seed: TestApp;
  let api: ApiProcess;
  let key: IssuedApiKey;
  const user = 'victim-1';
  const uploadHead = (length: number, extra = '') =>
    `POST /v1/users/${user}/uploads HTTP/1.1\r\nHost: x\r\nX-API-Key: ${key.api_key}\r\nContent-Type: multipart/form-data; boundary=${BOUNDARY}\r\nContent-Length: ${length}\r\n${extra}\r\n`;

  beforeAll(async () => {
    seed = await startTestApp({ env: { ...AUTH_TEST_ENV, RATE_LIMIT_ENABLED: 'false' } });
    key = await createApiKey(seed.app);
    await seed.app.get(UserOwnershipService).register({ clientId: key.client_id, userId: user });
    api = await startApiProcess({
      UPLOADS_BODY_IDLE_TIMEOUT_MS: '1500',
      UPLOADS_MIN_BODY_RATE_BYTES_PER_S: '2000',
      HTTP_BODY_TIMEOUT_MS: '1500',
    });
  }, 90_000);
  afterAll(async () => {
    await api?.stop();
    await seed?.close();
  });

  const staged = () => seed.app.get(UploadStagingStore).count();
  const expectNothingLeft = async () => {
    await waitFor(async () => {
      const s = await staged();
      return s.files === 0 && s.chunks === 0;
    }, { timeoutMs: 10_000 });
    expect(await seed.app.get(UploadLanesStore).counts(key.client_id)).toEqual({ client: 0, total: 0 });
    // Nothing escaped to the process-level last resort (which would have ended the process without it).
    const metrics = await (await fetch(`${api.url}/metrics`)).text();
    expect(metrics.match(/^process_uncaught_errors_total\{kind="\w+"\} (\d+)$/gm)?.map((l) => l.split(' ')[1])).toEqual(['0', '0']);
    expect(api.alive()).toBe(true);
  };
  const expectProblem = (answer: RawAnswer, status: number, type: string) => {
    expect({ status: answer.status, type: answer.body ? (JSON.parse(answer.body) as { type: string }).type : undefined }).toEqual({
      status,
      type: `urn:flickr-gateway:problem:${type}`,
    });
  };

  it('a multipart body that ends before its closing boundary is a 400', async () => {
    const body = Buffer.concat([Buffer.from(filePart()), randomBytes(200_000)]);
    const answer = await rawRequest(api.port, uploadHead(body.length), [body]);
    expectProblem(answer, 400, 'invalid-upload');
    await expectNothingLeft();
  });

  it('a client that disconnects mid-file leaves nothing staged', async () => {
    const first = Buffer.concat([Buffer.from(filePart()), randomBytes(1024 * 1024)]);
    await rawRequest(api.port, uploadHead(first.length + 4 * 1024 * 1024), [first, randomBytes(256 * 1024)], { gapMs: 200, destroyAfter: 2 });
    await expectNothingLeft();
    expect(api.alive()).toBe(true);
  });

  it('a malformed part header, a part without a filename and two file parts are 400s', async () => {
    const malformed = Buffer.from(`--${BOUNDARY}\r\nContent-Disposition form-data name photo\r\nthis is not a header line\r\n\r\nabc${closing}`);
    expectProblem(await rawRequest(api.port, uploadHead(malformed.length), [malformed]), 400, 'invalid-upload');
    const noFilename = Buffer.from(`${filePart('photo', null)}abc${closing}`);
    expectProblem(await rawRequest(api.port, uploadHead(noFilename.length), [noFilename]), 400, 'invalid-upload');
    const two = Buffer.from(`${filePart('photo', 'a.jpg')}abc\r\n${filePart('photo', 'b.jpg')}def${closing}`);
    expectProblem(await rawRequest(api.port, uploadHead(two.length), [two]), 400, 'invalid-upload');
    await expectNothingLeft();
  });

  it('a slow-loris upload (a byte at a time, minutes long) is cut off by the upload rate limit', async () => {
    const trickle = Array.from({ length: 600 }, () => Buffer.from('x'));
    const answer = await rawRequest(api.port, uploadHead(filePart().length + 600 + closing.length), [Buffer.from(filePart()), ...trickle], { gapMs: 500 });
    // Either the 408 problem arrives, or the connection is closed: never the 5 minutes the body would take.
    expect(answer.status === 408 || answer.closed).toBe(true);
    if (answer.status !== undefined) expectProblem(answer, 408, 'upload-too-slow');
    expect(answer.ms).toBeLessThan(15_000);
    await expectNothingLeft();
  });

  it('a JSON body that never finishes arriving is closed by the body timeout', async () => {
    const head = `POST /v1/oauth/start HTTP/1.1\r\nHost: x\r\nX-API-Key: ${key.api_key}\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n`;
    const answer = await rawRequest(api.port, head, [Buffer.from('{"user_id":')]);
    expect(answer.closed).toBe(true);
    expect(answer.ms).toBeLessThan(15_000);
  });

  it('a signed multipart request is refused at once with its own type, over the empty-body hash and over the real body hash', async () => {
    const body = Buffer.concat([Buffer.from(filePart()), randomBytes(2 * 1024 * 1024), Buffer.from(closing)]);
    const url = `/v1/users/${user}/uploads`;
    for (const signedBody of ['', body.toString('latin1')]) {
      const headers = signedHeaders({ keyId: key.key_id, signingSecret: key.signing_secret!, method: 'POST', url, body: signedBody });
      const head =
        `POST ${url} HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=${BOUNDARY}\r\nContent-Length: ${body.length}\r\n` +
        `${Object.entries(headers)
          .map(([k, v]) => `${k}: ${v}\r\n`)
          .join('')}\r\n`;
      // Only the first 64 KiB are sent: the answer must not wait for the body.
      const answer = await rawRequest(api.port, head, [body.subarray(0, 64 * 1024)]);
      expectProblem(answer, 400, 'signed-multipart-unsupported');
      expect(answer.ms).toBeLessThan(1000);
    }
    await expectNothingLeft();
  });

  it('a malformed percent-escape in the query is a 400 problem, with and without a key', async () => {
    for (const headers of [{}, { 'x-api-key': key.api_key }]) {
      const res = await fetch(`${api.url}/v1/users/${user}?%zz=1`, { headers });
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(await res.json()).toMatchObject({ type: 'urn:flickr-gateway:problem:malformed-url', requestId: expect.any(String) });
    }
  });

  it('the process survived all of it, still serves, and nothing reached the last resort', async () => {
    expect(api.alive()).toBe(true);
    const res = await fetch(`${api.url}/v1/users/${user}`, { headers: { 'x-api-key': key.api_key } });
    expect(res.status).toBe(200);
    const metrics = await (await fetch(`${api.url}/metrics`)).text();
    expect(metrics).toMatch(/^process_uncaught_errors_total\{kind="uncaughtException"\} 0$/m);
    expect(metrics).toMatch(/^process_uncaught_errors_total\{kind="unhandledRejection"\} 0$/m);
    expect(api.output()).not.toMatch(/uncaught exception|unhandled promise rejection/);
  });
});
