import type { Readable } from 'node:stream';
import { Injectable } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import mongoose, { type Connection } from 'mongoose';

const BUCKET = 'upload_staging';

/** A staged file being written; `id` is known before the bytes arrive. */
export interface StagingWrite {
  id: string;
  stream: NodeJS.WritableStream & { abort(): Promise<void> };
}

/**
 * Adapter over the GridFS bucket `upload_staging`: bytes of accepted uploads,
 * readable by every worker replica, never on a pod's disk.
 */
@Injectable()
export class UploadStagingStore {
  private readonly bucket: mongoose.mongo.GridFSBucket;
  private readonly db: mongoose.mongo.Db;

  constructor(@InjectConnection() connection: Connection) {
    this.db = connection.db as unknown as mongoose.mongo.Db;
    // The driver's default 255 KiB chunks: each chunk is copied into a BSON document before insert, so
    // smaller chunks keep the garbage per in-flight write (and the API's peak RSS) low.
    this.bucket = new mongoose.mongo.GridFSBucket(this.db, { bucketName: BUCKET });
  }

  openWrite(filename: string, mediaType: string): StagingWrite {
    const stream = this.bucket.openUploadStream(filename, { metadata: { media_type: mediaType } });
    return { id: stream.id.toString(), stream: stream as unknown as StagingWrite['stream'] };
  }

  openRead(fileId: string): Readable {
    return this.bucket.openDownloadStream(new mongoose.mongo.ObjectId(fileId));
  }

  /** Removes a staged file; a file already gone is not an error (deletion is retried on re-runs). */
  async delete(fileId: string): Promise<void> {
    try {
      await this.bucket.delete(new mongoose.mongo.ObjectId(fileId));
    } catch (err) {
      if (!/FileNotFound|File not found/i.test(String((err as Error).message))) throw err;
    }
  }

  /** Removes a file's document and every chunk directly (after an aborted write). */
  async discard(fileId: string): Promise<void> {
    const id = new mongoose.mongo.ObjectId(fileId);
    await this.db.collection(`${BUCKET}.chunks`).deleteMany({ files_id: id });
    await this.db.collection(`${BUCKET}.files`).deleteMany({ _id: id });
  }

  /** Whether a staged file (or any of its chunks) still exists. */
  async exists(fileId: string): Promise<boolean> {
    const id = new mongoose.mongo.ObjectId(fileId);
    const files = await this.bucket.find({ _id: id }).limit(1).toArray();
    if (files.length > 0) return true;
    return (await this.db.collection(`${BUCKET}.chunks`).countDocuments({ files_id: id }, { limit: 1 })) > 0;
  }

  /**
   * One page of staged file ids created before `before`, in id order after `afterId`: complete files (a
   * `files` document) and the chunks of writes that never finished (GridFS writes the `files` document last, so a
   * process that died mid-stream leaves chunks only, found by their chunk 0). The age comes from the ObjectId,
   * which the writer generated when it opened the stream. `last` is true when nothing older remains after the page.
   */
  async pageCreatedBefore(before: Date, afterId: string | null, limit: number): Promise<{ ids: string[]; last: boolean }> {
    const range = {
      $lt: mongoose.mongo.ObjectId.createFromTime(Math.floor(before.getTime() / 1000)),
      ...(afterId ? { $gt: new mongoose.mongo.ObjectId(afterId) } : {}),
    };
    const files = await this.db.collection(`${BUCKET}.files`).find({ _id: range }, { projection: { _id: 1 } }).sort({ _id: 1 }).limit(limit).toArray();
    const chunks = await this.db
      .collection(`${BUCKET}.chunks`)
      .find({ files_id: range, n: 0 }, { projection: { files_id: 1, _id: 0 } })
      .sort({ files_id: 1 })
      .limit(limit)
      .toArray();
    // Each query returned the first `limit` ids of its collection, so the union's first `limit` ids are complete.
    const ids = [...new Set([...files.map((f) => String(f._id)), ...chunks.map((c) => String(c.files_id))])].sort();
    return { ids: ids.slice(0, limit), last: ids.length < limit };
  }

  /** Number of staged files and chunks (for tests and the 413 guarantee). */
  async count(): Promise<{ files: number; chunks: number }> {
    return {
      files: await this.db.collection(`${BUCKET}.files`).countDocuments({}),
      chunks: await this.db.collection(`${BUCKET}.chunks`).countDocuments({}),
    };
  }
}
