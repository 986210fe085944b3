import { decodeCursor, encodeCursor, keysetFilter, pageOf } from '../../src/common/pagination/cursor';
import { ValidationProblem } from '../../src/common/problem/problem.exception';

const ID = /^[A-Za-z0-9._:-]{1,128}$/;

describe('list cursors (src/common/pagination/cursor.ts)', () => {
  it('round-trips a position, including ids with every allowed character', () => {
    for (const id of ['u-1', 'A.b_c:d-9', 'x'.repeat(128)]) {
      const at = new Date('2026-11-30T09:12:03.117Z');
      const cursor = encodeCursor({ at, id });
      expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(decodeCursor(cursor, ID)).toEqual({ at, id });
    }
  });

  it.each([
    ['empty', ''],
    ['not base64url', 'a b'],
    ['no separator', Buffer.from('abc').toString('base64url')],
    ['a time that is not base 36', Buffer.from('ZZ.u-1').toString('base64url')],
    ['a time past what a Date holds', Buffer.from('zzzzzzzzzzz.u-1').toString('base64url')],
    ['an empty id', Buffer.from('kx.').toString('base64url')],
    ['an id outside the list\'s pattern', Buffer.from('kx.a/b').toString('base64url')],
    ['a non-canonical spelling (padding)', `${encodeCursor({ at: new Date(1), id: 'u' })}==`],
  ])('refuses %s with a ValidationProblem', (_what, cursor) => {
    expect(() => decodeCursor(cursor, ID)).toThrow(ValidationProblem);
  });

  it('builds the "strictly after" filter and merges it with a time range', () => {
    const at = new Date(1000);
    expect(keysetFilter('created_at', 'user_id', {})).toEqual({});
    expect(keysetFilter('created_at', 'user_id', {}, { at, id: 'u' })).toEqual({
      created_at: { $gte: at },
      $or: [{ created_at: { $gt: at } }, { user_id: { $gt: 'u' } }],
    });
    // The later of `from` and the cursor bounds the range; `to` stays.
    const to = new Date(5000);
    expect(keysetFilter('created_at', 'job_id', { from: new Date(500), to }, { at, id: 'j' })).toMatchObject({ created_at: { $gte: at, $lt: to } });
    expect(keysetFilter('created_at', 'job_id', { from: new Date(2000), to }, { at, id: 'j' })).toMatchObject({ created_at: { $gte: new Date(2000), $lt: to } });
  });

  it('gives a cursor only when the extra row shows more, positioned on the last item shown', () => {
    const rows = [1, 2, 3].map((n) => ({ n, at: new Date(n), id: `r${n}` }));
    const position = (r: (typeof rows)[number]) => ({ at: r.at, id: r.id });
    const more = pageOf(rows, 2, position, (r) => r.n);
    expect(more.items).toEqual([1, 2]);
    expect(decodeCursor(more.next_cursor as string, /^r\d$/)).toEqual({ at: new Date(2), id: 'r2' });
    expect(pageOf(rows, 3, position, (r) => r.n)).toEqual({ items: [1, 2, 3], next_cursor: null });
    expect(pageOf([], 3, position, (r) => r.n)).toEqual({ items: [], next_cursor: null });
  });
});
