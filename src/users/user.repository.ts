import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import { USER_MODEL, type UserRecord } from './user.schema';

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
          { $setOnInsert: { user_id: userId, client_id: clientId, created_at: at } },
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
}
