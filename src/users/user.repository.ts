import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import { type FlickrConnection, USER_MODEL, type UserRecord } from './user.schema';

/** Adapter over `users`. */
@Injectable()
export class UserRepository {
  constructor(@InjectModel(USER_MODEL) private readonly users: Model<UserRecord>) {}

  async findById(userId: string): Promise<UserRecord | null> {
    return this.users.findOne({ user_id: userId }).lean<UserRecord>().exec();
  }

  /** Inserts the user for `clientId` unless it exists; returns the stored record either way. */
  async insertIfAbsent(userId: string, clientId: string, at: Date): Promise<UserRecord> {
    try {
      const record = await this.users
        .findOneAndUpdate(
          { user_id: userId },
          { $setOnInsert: { user_id: userId, client_id: clientId, created_at: at, flickr: null } },
          { upsert: true, returnDocument: 'after' },
        )
        .lean<UserRecord>()
        .exec();
      return record as UserRecord;
    } catch (err) {
      // Two concurrent upserts: the loser hits the unique index; the winner's record is the answer.
      if ((err as { code?: number }).code === 11000) return (await this.findById(userId)) as UserRecord;
      throw err;
    }
  }

  async setFlickrConnection(userId: string, connection: FlickrConnection): Promise<void> {
    await this.users.updateOne({ user_id: userId }, { $set: { flickr: connection } }).exec();
  }

  /** Flips a connected account to `reauthorization_required`; a no-op for users without a connection. */
  async markFlickrReauthorizationRequired(userId: string, at: Date): Promise<boolean> {
    const result = await this.users
      .updateOne(
        { user_id: userId, 'flickr.state': 'connected' },
        { $set: { 'flickr.state': 'reauthorization_required', 'flickr.changed_at': at } },
      )
      .exec();
    return result.modifiedCount > 0;
  }

  async deleteById(userId: string): Promise<boolean> {
    const result = await this.users.deleteOne({ user_id: userId }).exec();
    return result.deletedCount > 0;
  }
}
