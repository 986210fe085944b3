import type { IncomingMessage } from 'node:http';
import { requestIdFor } from './request-id';

const req = (value?: string | string[]) => ({ headers: value === undefined ? {} : { 'x-request-id': value } }) as IncomingMessage;

describe('requestIdFor', () => {
  it('keeps a well-formed caller id', () => {
    expect(requestIdFor(req('abc-123_def.456:x'))).toBe('abc-123_def.456:x');
  });

  it.each([['short'], ['has space in it'], ['line\nbreak-injection'], ['x'.repeat(129)], ['{"json":1}']])(
    'replaces %j with a fresh UUID',
    (value) => {
      expect(requestIdFor(req(value))).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    },
  );

  it('mints distinct ids when none is given', () => {
    expect(requestIdFor(req())).not.toBe(requestIdFor(req()));
  });
});
