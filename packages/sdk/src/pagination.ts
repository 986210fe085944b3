/** One page of a cursor list, as every list route of the gateway answers it. */
export interface Page<T> {
  items: T[];
  /** Pass back as `cursor` for the next page; null on the last page. */
  next_cursor: string | null;
}

/**
 * A cursor list walked lazily: `for await (const item of list)` yields every item, fetching the next page
 * only when the previous one is used up; `pages()` yields whole pages (with their `next_cursor`, to resume
 * later with `{ cursor }`). Each walk starts again from the first page (or the cursor it was made with).
 * The gateway's cursors are keyset positions: items that existed when the walk started are yielded exactly
 * once even while others are added (docs/authentication.md "Listing users").
 */
export class Paginator<T> implements AsyncIterable<T> {
  constructor(
    private readonly fetchPage: (cursor: string | undefined) => Promise<Page<T>>,
    private readonly startCursor?: string,
  ) {}

  /** Every page, first to last. */
  async *pages(): AsyncGenerator<Page<T>, void, undefined> {
    let cursor = this.startCursor;
    do {
      const page = await this.fetchPage(cursor);
      yield page;
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    for await (const page of this.pages()) yield* page.items;
  }

  /** The first page only. */
  first(): Promise<Page<T>> {
    return this.fetchPage(this.startCursor);
  }

  /** Every item in an array (at most `max`, to bound memory on a large list). */
  async toArray(max = Number.POSITIVE_INFINITY): Promise<T[]> {
    const items: T[] = [];
    if (max <= 0) return items;
    for await (const item of this) {
      items.push(item);
      if (items.length >= max) break;
    }
    return items;
  }
}
