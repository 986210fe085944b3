import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import { CONNECT_SETTINGS_MODEL, type ConnectSettingsRecord } from './connect-settings.schema';

/** The fields an admin write may change (each one optional: absent keeps the stored value). */
export type ConnectSettingsChange = Partial<Pick<ConnectSettingsRecord, 'display_name' | 'logo_url' | 'return_url_origins'>>;

/** Adapter over `connect_settings` (one document per client, `_id` = client_id). */
@Injectable()
export class ConnectSettingsRepository {
  constructor(@InjectModel(CONNECT_SETTINGS_MODEL) private readonly settings: Model<ConnectSettingsRecord>) {}

  findByClient(clientId: string): Promise<ConnectSettingsRecord | null> {
    return this.settings.findById(clientId).lean<ConnectSettingsRecord>().exec();
  }

  /** Sets the given fields of the client's settings (creating the document with defaults for the rest). */
  async update(clientId: string, change: ConnectSettingsChange, now: Date): Promise<ConnectSettingsRecord> {
    const defaults: Omit<ConnectSettingsRecord, '_id' | 'updated_at'> = { display_name: null, logo_url: null, return_url_origins: [], created_at: now };
    // $setOnInsert may not name a field $set also names: only the defaults the change leaves alone.
    const onInsert = Object.fromEntries(Object.entries(defaults).filter(([k]) => !(k in change)));
    const stored = await this.settings
      .findOneAndUpdate({ _id: clientId }, { $set: { ...change, updated_at: now }, $setOnInsert: onInsert }, { upsert: true, returnDocument: 'after' })
      .lean<ConnectSettingsRecord>()
      .exec();
    return stored as ConnectSettingsRecord;
  }
}
