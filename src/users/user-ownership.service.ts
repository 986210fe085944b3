import { Injectable } from '@nestjs/common';
import { NotFoundProblem } from '../common/problem/problem.exception';
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
 * Every user_id belongs to the client that registered it. Unknown and foreign
 * users get the identical 404, so a client cannot probe for others' users.
 */
@Injectable()
export class UserOwnershipService {
  constructor(private readonly users: UserRepository) {}

  /** The user if `clientId` owns it; NotFoundProblem otherwise (unknown or foreign alike). */
  async assertOwned(clientId: string, userId: string): Promise<UserRecord> {
    const record = await this.users.findById(userId);
    if (!record || record.client_id !== clientId) throw new NotFoundProblem();
    return record;
  }

  /** Idempotent: creates the user for `clientId`, returns it again on repeats; 404 when another client owns it. */
  async register(clientId: string, userId: string): Promise<UserRecord> {
    const record = await this.users.insertIfAbsent(userId, clientId, new Date());
    if (record.client_id !== clientId) throw new NotFoundProblem();
    return record;
  }
}
