import { Injectable } from '@nestjs/common';
import { NotFoundProblem } from '../common/problem/problem.exception';
import type { ScopedUser } from './user.identity';
import { UserRepository } from './user.repository';
import type { FlickrConnectionState, UserRecord } from './user.schema';

/** The public view of a user's Flickr connection: never a token or secret. */
export interface FlickrConnectionView {
  state: 'not_connected' | FlickrConnectionState;
  nsid?: string;
  username?: string;
  fullname?: string;
  perms?: string;
  connected_at?: Date;
  changed_at?: Date;
}

/** The public view of a user: no client_id (a client only ever sees its own users anyway). */
export interface UserView {
  user_id: string;
  created_at: Date;
  flickr: FlickrConnectionView;
}

export function toUserView(r: UserRecord): UserView {
  const f = r.flickr;
  const flickr: FlickrConnectionView = f
    ? { state: f.state, nsid: f.nsid, username: f.username, fullname: f.fullname, perms: f.perms, connected_at: f.connected_at, changed_at: f.changed_at }
    : { state: 'not_connected' };
  return { user_id: r.user_id, created_at: r.created_at, flickr };
}

/**
 * Users are scoped to their client: a client's `user_id` names only its own
 * user, so another client's user of the same name is simply not there
 * (unknown and foreign ids are indistinguishable by construction).
 */
@Injectable()
export class UserOwnershipService {
  constructor(private readonly users: UserRepository) {}

  /** The scoped user; NotFoundProblem when the client has no such user. */
  async assertOwned(user: ScopedUser): Promise<UserRecord> {
    const record = await this.users.findScoped(user);
    // The client check is redundant with the scoped lookup; kept so a legacy record can never leak.
    if (!record || record.client_id !== user.clientId) throw new NotFoundProblem();
    return record;
  }

  /** Idempotent: creates the client's user, or returns it again on repeats. */
  async register(user: ScopedUser): Promise<UserRecord> {
    const record = await this.users.insertIfAbsent(user, new Date());
    if (record.client_id !== user.clientId) throw new NotFoundProblem();
    return record;
  }
}
