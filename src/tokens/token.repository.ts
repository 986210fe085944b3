import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Model, Types } from 'mongoose';
import type { Envelope } from '../kms/envelope';
import { JOB_CHECKPOINT_MODEL, type JobCheckpoint, TOKEN_MODEL, type TokenDocument } from './token.schema';

/** Filter of documents still holding plaintext tokens (legacy schema). */
const LEGACY = { enc: { $exists: false }, oauth_token: { $exists: true } };

/** MongoDB adapter for `tokens` and `kms_jobs`: single-purpose queries, no rules. */
@Injectable()
export class TokenRepository {
  constructor(
    @InjectModel(TOKEN_MODEL) private readonly tokens: Model<TokenDocument>,
    @InjectModel(JOB_CHECKPOINT_MODEL) private readonly jobs: Model<JobCheckpoint>,
  ) {}

  findByUserId(userId: string): Promise<TokenDocument | null> {
    return this.tokens.findOne({ user_id: userId }).lean<TokenDocument>().exec();
  }

  /** By _id: on FerretDB only _id lookups avoid a collection scan, so the migration's verify step uses this. */
  findById(id: Types.ObjectId): Promise<TokenDocument | null> {
    return this.tokens.findById(id).lean<TokenDocument>().exec();
  }

  /** Writes the envelope and removes any legacy plaintext in the same update. */
  async upsertEncrypted(userId: string, enc: Envelope): Promise<void> {
    const now = new Date();
    await this.tokens
      .updateOne(
        { user_id: userId },
        { $set: { enc, updated_at: now }, $unset: { oauth_token: 1, oauth_token_secret: 1 }, $setOnInsert: { created_at: now } },
        { upsert: true },
      )
      .exec();
  }

  async deleteByUserId(userId: string): Promise<boolean> {
    return (await this.tokens.deleteOne({ user_id: userId }).exec()).deletedCount > 0;
  }

  /**
   * Scope migration: moves one bare-keyed token document to its scoped key
   * (`user_id` = `<client_id>/<user_id>`) with its secrets re-sealed for that
   * key, only if it still holds exactly what was read (a concurrent save wins).
   */
  async rekey(doc: TokenDocument, scopedKey: string, enc: Envelope): Promise<boolean> {
    const unchanged = doc.enc ? { 'enc.wk': doc.enc.wk } : { oauth_token: doc.oauth_token, oauth_token_secret: doc.oauth_token_secret };
    const res = await this.tokens
      .updateOne(
        { _id: doc._id, user_id: doc.user_id, ...unchanged },
        { $set: { user_id: scopedKey, enc, updated_at: new Date() }, $unset: { oauth_token: 1, oauth_token_secret: 1 } },
      )
      .exec();
    return res.modifiedCount === 1;
  }

  findLegacyAfter(afterId: Types.ObjectId | null, limit: number): Promise<TokenDocument[]> {
    return this.tokens
      .find(afterId ? { ...LEGACY, _id: { $gt: afterId } } : LEGACY)
      .sort({ _id: 1 })
      .limit(limit)
      .lean<TokenDocument[]>()
      .exec();
  }

  /** Replaces plaintext with the envelope only if the document still holds exactly that plaintext. */
  async replaceLegacy(doc: TokenDocument, enc: Envelope): Promise<boolean> {
    const res = await this.tokens
      .updateOne(
        { _id: doc._id, enc: { $exists: false }, oauth_token: doc.oauth_token, oauth_token_secret: doc.oauth_token_secret },
        { $set: { enc, updated_at: new Date() }, $unset: { oauth_token: 1, oauth_token_secret: 1 } },
      )
      .exec();
    return res.modifiedCount === 1;
  }

  countLegacy(): Promise<number> {
    return this.tokens.countDocuments(LEGACY).exec();
  }

  countEncrypted(): Promise<number> {
    return this.tokens.countDocuments({ enc: { $exists: true } }).exec();
  }

  findWrappedBelow(keyName: string, version: number, afterId: Types.ObjectId | null, limit: number): Promise<TokenDocument[]> {
    const filter = { 'enc.k': keyName, 'enc.kv': { $lt: version }, ...(afterId ? { _id: { $gt: afterId } } : {}) };
    return this.tokens.find(filter, { _id: 1, user_id: 1, 'enc.wk': 1, 'enc.kv': 1 }).sort({ _id: 1 }).limit(limit).lean<TokenDocument[]>().exec();
  }

  countWrappedBelow(keyName: string, version: number): Promise<number> {
    return this.tokens.countDocuments({ 'enc.k': keyName, 'enc.kv': { $lt: version } }).exec();
  }

  /** Swaps the wrapped data key only if it is still the one we rewrapped (a concurrent save wins). */
  async setWrappedKey(id: Types.ObjectId, oldWrapped: string, wrapped: string, version: number): Promise<boolean> {
    const res = await this.tokens.updateOne({ _id: id, 'enc.wk': oldWrapped }, { $set: { 'enc.wk': wrapped, 'enc.kv': version } }).exec();
    return res.modifiedCount === 1;
  }

  getCheckpoint(id: string): Promise<JobCheckpoint | null> {
    return this.jobs.findById(id).lean<JobCheckpoint>().exec();
  }

  async saveCheckpoint(id: string, patch: Partial<Omit<JobCheckpoint, '_id'>>): Promise<void> {
    await this.jobs.updateOne({ _id: id }, { $set: { ...patch, updated_at: new Date() } }, { upsert: true }).exec();
  }
}
