import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Writable } from 'node:stream';
import { ProblemException } from '../../src/common/problem/problem.exception';
import type { UploadStagingStore } from '../../src/uploads/upload-staging.store';
import { receiveUpload } from '../../src/uploads/upload.intake';
import { REPLACE_FIELD_NAMES, UPLOAD_FIELD_NAMES } from '../../src/uploads/uploads.dto';
import { multipartRequest } from '../support/factories/multipart-request.factory';

/** Staging replaced by a sink that keeps nothing and records what was discarded. */
function staging() {
  const discarded: string[] = [];
  const store = {
    openWrite: () => ({ id: randomBytes(6).toString('hex'), stream: Object.assign(new Writable({ write: (_c, _e, done) => done() }), { abort: async () => undefined }) }),
    discard: async (id: string) => void discarded.push(id),
  };
  return { store: store as unknown as UploadStagingStore, discarded };
}

/** The request with its body on its way. */
function multipart(fields: Record<string, string>, fileBytes: number): IncomingMessage {
  const request = multipartRequest(fileBytes, fields);
  setImmediate(request.send);
  return request.req;
}

const limits = (fields: readonly string[]) => ({ maxFileBytes: 10_000, mediaTypes: ['image/jpeg'], fields, idleTimeoutMs: 5000, minBytesPerSecond: 1 });
const outcome = (p: Promise<unknown>) =>
  p.then(
    () => 'accepted',
    (e: unknown) => (e instanceof ProblemException ? `${e.getStatus()} ${e.detail}` : String(e)),
  );

describe('receiveUpload: the part limits (busboy trips on reaching a limit, not on passing it)', () => {
  it('accepts a form with every allowed field and the file, for an upload and for a replacement', async () => {
    const every = (names: readonly string[]) => Object.fromEntries(names.map((n) => [n, n === 'priority' ? 'low' : '1']));
    const s = staging();
    const upload = await receiveUpload(multipart(every(UPLOAD_FIELD_NAMES), 100), s.store, limits(UPLOAD_FIELD_NAMES));
    expect(upload).toMatchObject({ bytes: 100, fields: every(UPLOAD_FIELD_NAMES) });
    const replace = await receiveUpload(multipart({ priority: 'high' }, 100), s.store, limits(REPLACE_FIELD_NAMES));
    expect(replace).toMatchObject({ bytes: 100, fields: { priority: 'high' } });
    expect(s.discarded).toEqual([]);
  });

  it('still refuses a field the route does not take, and more fields than it takes', async () => {
    const s = staging();
    expect(await outcome(receiveUpload(multipart({ title: 't' }, 100), s.store, limits(REPLACE_FIELD_NAMES)))).toBe("400 Unknown form field 'title'.");
    expect(await outcome(receiveUpload(multipart({ priority: 'high', title: 't' }, 100), s.store, limits(REPLACE_FIELD_NAMES)))).toBe('400 Too many form fields.');
    expect(await outcome(receiveUpload(multipart({ priority: 'high', title: 't' }, 100), s.store, limits(UPLOAD_FIELD_NAMES)))).toBe('accepted');
  });
});
