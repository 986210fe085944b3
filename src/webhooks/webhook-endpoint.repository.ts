import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import { type CursorPosition, keysetFilter } from '../common/pagination/cursor';
import type { WebhookEventType } from './webhook.events';
import { WEBHOOK_ENDPOINT_MODEL, type WebhookEndpointRecord } from './webhook.schemas';

/** Adapter over `webhook_endpoints`; every read names the client, so one client never reaches another's endpoint. */
@Injectable()
export class WebhookEndpointRepository {
  constructor(@InjectModel(WEBHOOK_ENDPOINT_MODEL) private readonly endpoints: Model<WebhookEndpointRecord>) {}

  async insert(record: WebhookEndpointRecord): Promise<void> {
    await this.endpoints.create(record);
  }

  countOfClient(clientId: string): Promise<number> {
    return this.endpoints.countDocuments({ client_id: clientId }).exec();
  }

  findOfClient(clientId: string, endpointId: string): Promise<WebhookEndpointRecord | null> {
    return this.endpoints.findOne({ _id: endpointId, client_id: clientId }).lean<WebhookEndpointRecord>().exec();
  }

  /** An endpoint by id alone: only for the worker, which got the id from a delivery of that client. */
  findById(endpointId: string): Promise<WebhookEndpointRecord | null> {
    return this.endpoints.findOne({ _id: endpointId }).lean<WebhookEndpointRecord>().exec();
  }

  /** The client's endpoints subscribed to `type` (what the emitter writes deliveries for). */
  subscribedTo(clientId: string, type: WebhookEventType): Promise<Array<Pick<WebhookEndpointRecord, '_id'>>> {
    return this.endpoints.find({ client_id: clientId, events: type }, { _id: 1 }).lean<Array<Pick<WebhookEndpointRecord, '_id'>>>().exec();
  }

  /** One page of the client's endpoints, oldest first; `limit` rows after `after`. */
  listOfClient(clientId: string, limit: number, after?: CursorPosition): Promise<WebhookEndpointRecord[]> {
    return this.endpoints
      .find({ client_id: clientId, ...keysetFilter('created_at', '_id', {}, after) })
      .sort({ created_at: 1, _id: 1 })
      .limit(limit)
      .lean<WebhookEndpointRecord[]>()
      .exec();
  }

  async deleteOfClient(clientId: string, endpointId: string): Promise<boolean> {
    return (await this.endpoints.deleteOne({ _id: endpointId, client_id: clientId }).exec()).deletedCount > 0;
  }
}
