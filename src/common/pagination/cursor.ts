import { ValidationProblem } from '../problem/problem.exception';

/**
 * Keyset (cursor) pagination shared by the list endpoints. A list is read in one total order on
 * (`at`, `id`): a timestamp, then a key unique within the list as a tie-breaker. A page is "the next
 * `limit` items strictly after the position of the previous page's last item", so items added while a
 * client pages either land after its position (and show up on a later page) or before it (and are not
 * shown); an item that existed when paging began is never skipped or repeated, whatever is inserted.
 *
 * The cursor is opaque to clients (base64url of `<at in ms, base 36>.<id>`). It is only a position, never
 * an authorisation: every query also filters on the caller's own client, so a cursor handed to another
 * client only positions that client's own list.
 */
export interface CursorPosition {
  at: Date;
  id: string;
}

/** One page of a list: the items and the cursor of the next page (null on the last). */
export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

/** Longest `id` a cursor may carry (user keys are `<client_id>/<user_id>`, 1-128 characters each). */
const MAX_ID_LENGTH = 300;

/** The cursor of a position. */
export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(`${position.at.getTime().toString(36)}.${position.id}`, 'utf8').toString('base64url');
}

/**
 * The position a cursor names; `id` must match `idPattern` (the list's key format). Anything else,
 * including a cursor of another list, is a ValidationProblem (400 validation-failed).
 */
export function decodeCursor(cursor: string, idPattern: RegExp): CursorPosition {
  const invalid = () => new ValidationProblem(['cursor: is not a cursor this API returned for this list']);
  if (!/^[A-Za-z0-9_-]{1,600}$/.test(cursor)) throw invalid();
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const dot = text.indexOf('.');
  if (dot <= 0) throw invalid();
  const msText = text.slice(0, dot);
  const id = text.slice(dot + 1);
  const ms = /^[0-9a-z]{1,11}$/.test(msText) ? parseInt(msText, 36) : NaN;
  // 8.64e15 ms is the largest instant a Date holds.
  if (!Number.isSafeInteger(ms) || ms > 8.64e15 || id.length === 0 || id.length > MAX_ID_LENGTH || !idPattern.test(id)) throw invalid();
  // Re-encoding must give the same text: refuses non-canonical spellings (leading zeros, stray bits).
  if (encodeCursor({ at: new Date(ms), id }) !== cursor) throw invalid();
  return { at: new Date(ms), id };
}

/**
 * The MongoDB conditions on the order fields for one page in ascending (`atField`, `idField`) order:
 * `at` within [`from`, `to`) when given, and strictly after `after` when given. The lower bound starts the
 * index range at the position; the `$or` only drops the items at the position's instant that the previous
 * page already had. Spread the result into the list's filter next to its equality conditions.
 */
export function keysetFilter(atField: string, idField: string, bounds: { from?: Date; to?: Date }, after?: CursorPosition): Record<string, unknown> {
  const range: { $gte?: Date; $lt?: Date } = {};
  const lower = after && (!bounds.from || after.at > bounds.from) ? after.at : bounds.from;
  if (lower) range.$gte = lower;
  if (bounds.to) range.$lt = bounds.to;
  const filter: Record<string, unknown> = {};
  if (range.$gte || range.$lt) filter[atField] = range;
  if (after) filter.$or = [{ [atField]: { $gt: after.at } }, { [idField]: { $gt: after.id } }];
  return filter;
}

/**
 * Turns the `limit + 1` rows a repository read into a page: the first `limit` as items, and a cursor
 * after the last of them when the extra row shows there is more.
 */
export function pageOf<R, V>(rows: R[], limit: number, positionOf: (row: R) => CursorPosition, view: (row: R) => V): Page<V> {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items: items.map(view), next_cursor: rows.length > limit && last !== undefined ? encodeCursor(positionOf(last)) : null };
}
