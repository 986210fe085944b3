import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import { FLICKR_APP_MODEL, type FlickrAppRecord } from './flickr-app.schema';

/** Adapter over `flickr_apps` (one document per client, `_id` = client_id). */
@Injectable()
export class FlickrAppRepository {
  constructor(@InjectModel(FLICKR_APP_MODEL) private readonly apps: Model<FlickrAppRecord>) {}

  findByClient(clientId: string): Promise<FlickrAppRecord | null> {
    return this.apps.findById(clientId).lean<FlickrAppRecord>().exec();
  }

  /** Creates or replaces the client's app; `created_at` is kept from the first write. */
  async put(record: Omit<FlickrAppRecord, 'created_at'>): Promise<FlickrAppRecord> {
    const { _id, ...fields } = record;
    const stored = await this.apps
      .findOneAndUpdate({ _id }, { $set: fields, $setOnInsert: { created_at: record.updated_at } }, { upsert: true, returnDocument: 'after' })
      .lean<FlickrAppRecord>()
      .exec();
    return stored as FlickrAppRecord;
  }

  /** The deleted record, or null when the client had none. */
  deleteByClient(clientId: string): Promise<FlickrAppRecord | null> {
    return this.apps.findOneAndDelete({ _id: clientId }).lean<FlickrAppRecord>().exec();
  }
}
