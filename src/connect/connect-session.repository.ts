import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import type { ScopedUser } from '../users/user.identity';
import { CONNECT_SESSION_MODEL, type ConnectSessionRecord, type ConnectSessionState } from './connect-session.schema';

/** Adapter over `connect_sessions`. */
@Injectable()
export class ConnectSessionRepository {
  constructor(@InjectModel(CONNECT_SESSION_MODEL) private readonly sessions: Model<ConnectSessionRecord>) {}

  async insert(record: ConnectSessionRecord): Promise<void> {
    await this.sessions.create(record);
  }

  /** The session whose token hashes to `tokenHash`, if unexpired and not finished. */
  findUsable(tokenHash: string, now: Date): Promise<ConnectSessionRecord | null> {
    return this.sessions.findOne({ _id: tokenHash, state: { $in: ['open', 'started'] }, expires_at: { $gt: now } }).lean<ConnectSessionRecord>().exec();
  }

  /** The started session waiting for the callback of request token `oauthToken`. */
  findStartedByRequestToken(oauthToken: string, now: Date): Promise<ConnectSessionRecord | null> {
    return this.sessions.findOne({ oauth_token: oauthToken, state: 'started', expires_at: { $gt: now } }).lean<ConnectSessionRecord>().exec();
  }

  /** A session of `clientId` by its public id (another client's is not found). */
  findBySessionId(clientId: string, sessionId: string): Promise<ConnectSessionRecord | null> {
    return this.sessions.findOne({ session_id: sessionId, client_id: clientId }).lean<ConnectSessionRecord>().exec();
  }

  /** Records the current Flickr attempt of a usable session; false when it is no longer usable. */
  async markStarted(tokenHash: string, oauthToken: string, authorizeUrl: string, now: Date): Promise<boolean> {
    const result = await this.sessions
      .updateOne(
        { _id: tokenHash, state: { $in: ['open', 'started'] }, expires_at: { $gt: now } },
        { $set: { state: 'started', oauth_token: oauthToken, authorize_url: authorizeUrl } },
      )
      .exec();
    return result.modifiedCount === 1;
  }

  /** Ends a session (connected or failed); false when it had already ended. */
  async finish(tokenHash: string, state: Extract<ConnectSessionState, 'connected' | 'failed'>): Promise<boolean> {
    const result = await this.sessions.updateOne({ _id: tokenHash, state: { $in: ['open', 'started'] } }, { $set: { state } }).exec();
    return result.modifiedCount === 1;
  }

  /** Drops every session of the scoped user (erasure). */
  async deleteByUser(user: ScopedUser): Promise<number> {
    return (await this.sessions.deleteMany({ client_id: user.clientId, user_id: user.userId }).exec()).deletedCount;
  }
}
