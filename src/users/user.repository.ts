import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Model, Types } from 'mongoose';
import { type CursorPosition, keysetFilter } from '../common/pagination/cursor';
import { type ScopedUser, scopedUserKey } from './user.identity';
import { type FlickrConnection, LEGACY_USER_ID_INDEX, USER_MODEL, type UserRecord } from './user.schema';

/** How often the repository re-checks whether legacy (pre-scoping) records are left. */
const LEGACY_RECHECK_MS = 30_000;

/**
 * Adapter over `users`. Scoped records are found by `_id`. While records
 * written before the scoping are left (ObjectId `_id`, moved by
 * `users:scope-migrate`), a miss also looks for the legacy shape, so reads keep
 * working during the migration; once none are left that second query stops.
 */
@Injectable()
export class UserRepository implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(UserRepository.name);
  /** True until a check has found no legacy record; new records are never legacy, so it never turns back on. */
  private legacyPossible = true;
  private timer?: NodeJS.Timeout;

  constructor(@InjectModel(USER_MODEL) private readonly users: Model<UserRecord>) {}

  async onModuleInit(): Promise<void> {
    // The pre-scoping unique index on the bare user_id would refuse a second client's user of the same name.
    await this.dropLegacyIndex(LEGACY_USER_ID_INDEX).catch((err: Error) => this.logger.warn(`could not drop the legacy user_id index: ${err.message}`));
    await this.recheckLegacy();
    if (this.legacyPossible) {
      this.timer = setInterval(() => void this.recheckLegacy(), LEGACY_RECHECK_MS);
      this.timer.unref();
    }
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** The scoped user (or its legacy record while the migration has not moved it). */
  async findScoped(user: ScopedUser): Promise<UserRecord | null> {
    const key = scopedUserKey(user);
    const record = await this.users.findById(key).lean<UserRecord>().exec();
    if (record || !this.legacyPossible) return record;
    const legacy = await this.findLegacy(user);
    // The migration may have moved it between the two reads: look at the new place once more.
    return legacy ?? this.users.findById(key).lean<UserRecord>().exec();
  }

  /** Inserts the scoped user unless it exists; returns the stored record either way. */
  async insertIfAbsent(user: ScopedUser, at: Date): Promise<UserRecord> {
    const existing = await this.findScoped(user);
    if (existing) return existing;
    const key = scopedUserKey(user);
    try {
      const record = await this.users
        .findOneAndUpdate(
          { _id: key },
          { $setOnInsert: { _id: key, user_id: user.userId, client_id: user.clientId, created_at: at, flickr: null } },
          { upsert: true, returnDocument: 'after' },
        )
        .lean<UserRecord>()
        .exec();
      return record as UserRecord;
    } catch (err) {
      // Two concurrent upserts: the loser hits the _id index; the winner's record is the answer.
      if ((err as { code?: number }).code === 11000) {
        const winner = await this.users.findById(key).lean<UserRecord>().exec();
        if (winner) return winner;
      }
      throw err;
    }
  }

  async setFlickrConnection(record: UserRecord, connection: FlickrConnection): Promise<void> {
    await this.users.updateOne({ _id: record._id }, { $set: { flickr: connection } }).exec();
  }

  /** Flips a connected account to `reauthorization_required`; a no-op for users without a connection. */
  async markFlickrReauthorizationRequired(record: UserRecord, at: Date): Promise<boolean> {
    const result = await this.users
      .updateOne(
        { _id: record._id, 'flickr.state': 'connected' },
        { $set: { 'flickr.state': 'reauthorization_required', 'flickr.changed_at': at } },
      )
      .exec();
    return result.modifiedCount > 0;
  }

  /**
   * Flips every connected account of the client whose token was issued to another app than `appId`
   * (a connection without an app id was issued to the gateway's app, `defaultAppId`) to
   * `reauthorization_required`; returns the users it flipped.
   */
  async markClientFlickrReauthorizationRequired(
    clientId: string,
    appId: string,
    defaultAppId: string,
    at: Date,
  ): Promise<Array<Pick<UserRecord, '_id' | 'client_id' | 'user_id'>>> {
    // A connection without app_id belongs to the default app: it differs from appId exactly when appId is not the default.
    const otherApp = appId === defaultAppId ? { 'flickr.app_id': { $exists: true, $ne: appId } } : { 'flickr.app_id': { $ne: appId } };
    const filter = { client_id: clientId, 'flickr.state': 'connected' as const, ...otherApp };
    const found = await this.users.find(filter, { _id: 1, client_id: 1, user_id: 1 }).lean<Array<Pick<UserRecord, '_id' | 'client_id' | 'user_id'>>>().exec();
    if (found.length === 0) return [];
    // The same filter again: a user who connected with the new app in between stays connected.
    await this.users
      .updateMany({ ...filter, _id: { $in: found.map((r) => r._id) } }, { $set: { 'flickr.state': 'reauthorization_required', 'flickr.changed_at': at } })
      .exec();
    return found;
  }

  /**
   * One page of a client's users in (created_at, user_id) order, strictly after `after`; with `state`, only
   * users whose connection is in it (`null`: no connection). user_id, not _id, breaks ties: it is unique within
   * a client and has one type (legacy records not yet migrated have an ObjectId _id). Served by the
   * (client_id[, flickr.state], created_at, user_id) indexes of user.schema.ts as one index range.
   */
  listOfClient(clientId: string, state: FlickrConnection['state'] | null | undefined, limit: number, after?: CursorPosition): Promise<UserRecord[]> {
    const filter: Record<string, unknown> = { client_id: clientId, ...keysetFilter('created_at', 'user_id', {}, after) };
    if (state !== undefined) filter['flickr.state'] = state;
    return this.users.find(filter).sort({ created_at: 1, user_id: 1 }).limit(limit).lean<UserRecord[]>().exec();
  }

  async deleteRecord(record: UserRecord): Promise<boolean> {
    const result = await this.users.deleteOne({ _id: record._id }).exec();
    return result.deletedCount > 0;
  }

  // ---- the scope migration (users:scope-migrate) ----

  /** Legacy records (ObjectId `_id`) after `afterId`, in `_id` order. */
  findLegacyAfter(afterId: Types.ObjectId | null, limit: number): Promise<UserRecord[]> {
    const filter = afterId ? { _id: { $type: 'objectId' as const, $gt: afterId } } : { _id: { $type: 'objectId' as const } };
    return this.users.find(filter).sort({ _id: 1 }).limit(limit).lean<UserRecord[]>().exec();
  }

  findLegacyById(id: Types.ObjectId): Promise<UserRecord | null> {
    return this.users.findById(id).lean<UserRecord>().exec();
  }

  countLegacy(): Promise<number> {
    return this.users.countDocuments({ _id: { $type: 'objectId' } }).exec();
  }

  /** Writes the scoped copy of a legacy record (replacing an earlier copy of the same record). */
  async putScopedCopy(legacy: UserRecord): Promise<void> {
    const key = scopedUserKey({ clientId: legacy.client_id, userId: legacy.user_id });
    const { _id: _legacyId, ...fields } = legacy;
    await this.users.replaceOne({ _id: key }, { ...fields, _id: key }, { upsert: true }).exec();
  }

  /** Deletes a legacy record only if it still holds exactly what was copied (a concurrent change forces another copy). */
  async deleteLegacyIfUnchanged(legacy: UserRecord): Promise<boolean> {
    const filter: Record<string, unknown> = { _id: legacy._id, 'flickr.changed_at': legacy.flickr?.changed_at ?? null };
    if (!legacy.flickr) filter.flickr = null;
    const result = await this.users.deleteOne(filter).exec();
    return result.deletedCount > 0;
  }

  /** Drops the pre-scoping unique index on the bare user_id, if present. */
  async dropLegacyIndex(name: string): Promise<boolean> {
    const indexes = await this.users.collection.indexes().catch(() => []);
    if (!indexes.some((i) => i.name === name)) return false;
    await this.users.collection.dropIndex(name);
    return true;
  }

  private findLegacy(user: ScopedUser): Promise<UserRecord | null> {
    return this.users.findOne({ user_id: user.userId, client_id: user.clientId, _id: { $type: 'objectId' } }).lean<UserRecord>().exec();
  }

  private async recheckLegacy(): Promise<void> {
    try {
      this.legacyPossible = (await this.users.exists({ _id: { $type: 'objectId' } }).exec()) !== null;
      if (!this.legacyPossible && this.timer) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    } catch (err) {
      // Unknown: keep looking for legacy records (correct, only slower on misses).
      this.logger.warn(`could not check for legacy user records: ${(err as Error).message}`);
    }
  }
}
