import { Injectable } from '@nestjs/common';
import { decodeCursor, type Page, pageOf } from '../common/pagination/cursor';
import { UserRepository } from './user.repository';
import { toUserView, type UserView } from './user-ownership.service';
import type { UserListState } from './users.dto';

/** A cursor position's id in this list is a user_id (the tie-breaker after created_at). */
const USER_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** What GET /v1/users filters on. */
export interface UserListFilter {
  state?: UserListState;
}

/** Lists a client's own users a page at a time (GET /v1/users). */
@Injectable()
export class UserListService {
  constructor(private readonly users: UserRepository) {}

  /**
   * One page of `clientId`'s users, oldest first; `cursor` is the previous page's next_cursor. The client is
   * always part of the query, so a cursor (only a position) never reaches another client's users.
   */
  async page(clientId: string, filter: UserListFilter, limit: number, cursor?: string): Promise<Page<UserView>> {
    const after = cursor === undefined ? undefined : decodeCursor(cursor, USER_ID);
    const state = filter.state === undefined ? undefined : filter.state === 'not_connected' ? null : filter.state;
    const rows = await this.users.listOfClient(clientId, state, limit + 1, after);
    return pageOf(rows, limit, (r) => ({ at: r.created_at, id: r.user_id }), toUserView);
  }
}
