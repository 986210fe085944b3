import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import type { CursorPosition } from '../common/pagination/cursor';
import {
  OPEN_DELIVERY_STATUSES,
  WEBHOOK_DELIVERY_MODEL,
  WEBHOOK_EVENT_MODEL,
  WEBHOOK_SEQUENCE_MODEL,
  type WebhookDeliveryRecord,
  type WebhookEventRecord,
  type WebhookSequenceRecord,
} from './webhook.schemas';

/** What an attempt changed on its delivery. */
export type AttemptResult = Pick<WebhookDeliveryRecord, 'status' | 'last_status_code' | 'last_error' | 'next_attempt_at' | 'round_started_at' | 'round_failures' | 'finished_at'>;

/**
 * Adapter over the outbox: `webhook_events`, `webhook_deliveries` and `webhook_sequences`. Single-purpose
 * methods; the conditional updates (claim, record) are what keeps two workers from attempting one delivery at once.
 */
@Injectable()
export class WebhookOutboxRepository {
  constructor(
    @InjectModel(WEBHOOK_EVENT_MODEL) private readonly events: Model<WebhookEventRecord>,
    @InjectModel(WEBHOOK_DELIVERY_MODEL) private readonly deliveries: Model<WebhookDeliveryRecord>,
    @InjectModel(WEBHOOK_SEQUENCE_MODEL) private readonly sequences: Model<WebhookSequenceRecord>,
  ) {}

  /** The next sequence number of the user's events (atomic increment; 1 for the first). */
  async nextSequence(userKey: string): Promise<number> {
    const record = await this.sequences
      .findOneAndUpdate({ _id: userKey }, { $inc: { last: 1 } }, { upsert: true, returnDocument: 'after' })
      .lean<WebhookSequenceRecord>()
      .exec();
    return record!.last;
  }

  /** Writes the event first, then its deliveries: a delivery never names an event that is not stored. */
  async record(event: WebhookEventRecord, deliveries: WebhookDeliveryRecord[]): Promise<void> {
    await this.events.create(event);
    await this.deliveries.insertMany(deliveries);
  }

  findEvent(eventId: string): Promise<WebhookEventRecord | null> {
    return this.events.findOne({ _id: eventId }).lean<WebhookEventRecord>().exec();
  }

  findDelivery(deliveryId: string): Promise<WebhookDeliveryRecord | null> {
    return this.deliveries.findOne({ _id: deliveryId }).lean<WebhookDeliveryRecord>().exec();
  }

  findDeliveryOfEndpoint(endpointId: string, deliveryId: string): Promise<WebhookDeliveryRecord | null> {
    return this.deliveries.findOne({ _id: deliveryId, endpoint_id: endpointId }).lean<WebhookDeliveryRecord>().exec();
  }

  /** One page of an endpoint's deliveries, newest first: `limit` rows strictly before `before` in (created_at, _id) descending order. */
  listOfEndpoint(endpointId: string, limit: number, before?: CursorPosition): Promise<WebhookDeliveryRecord[]> {
    const filter: Record<string, unknown> = { endpoint_id: endpointId };
    if (before) {
      filter.created_at = { $lte: before.at };
      filter.$or = [{ created_at: { $lt: before.at } }, { _id: { $lt: before.id } }];
    }
    return this.deliveries.find(filter).sort({ created_at: -1, _id: -1 }).limit(limit).lean<WebhookDeliveryRecord[]>().exec();
  }

  /**
   * Takes the delivery for one attempt if it is open, due and not held by another worker; null otherwise
   * (already delivered, not due yet, deleted, or being attempted elsewhere).
   */
  claim(deliveryId: string, now: Date, leaseUntil: Date): Promise<WebhookDeliveryRecord | null> {
    return this.deliveries
      .findOneAndUpdate(
        {
          _id: deliveryId,
          status: { $in: OPEN_DELIVERY_STATUSES },
          next_attempt_at: { $lte: now },
          $or: [{ lease_until: null }, { lease_until: { $lte: now } }],
        },
        { $set: { lease_until: leaseUntil } },
        { returnDocument: 'after' },
      )
      .lean<WebhookDeliveryRecord>()
      .exec();
  }

  /** Gives a claimed delivery back without an attempt, due again at `dueAt` (it waits for an earlier one). */
  async release(deliveryId: string, leaseUntil: Date, dueAt: Date): Promise<void> {
    await this.deliveries.updateOne({ _id: deliveryId, lease_until: leaseUntil }, { $set: { lease_until: null, next_attempt_at: dueAt } }).exec();
  }

  /** Stores the outcome of an attempt made under the lease `leaseUntil`; false when the delivery is gone (endpoint deleted, user erased). */
  async recordAttempt(deliveryId: string, leaseUntil: Date, at: Date, result: AttemptResult): Promise<boolean> {
    const outcome = await this.deliveries
      .updateOne({ _id: deliveryId, lease_until: leaseUntil }, { $set: { ...result, last_attempt_at: at, lease_until: null }, $inc: { attempts: 1 } })
      .exec();
    return outcome.modifiedCount === 1;
  }

  /** The open delivery of the same endpoint and user with the lowest sequence below `sequence` that later ones wait for. */
  earlierOpen(d: Pick<WebhookDeliveryRecord, 'endpoint_id' | 'user_id' | 'sequence'>): Promise<WebhookDeliveryRecord | null> {
    return this.deliveries
      .findOne({ endpoint_id: d.endpoint_id, user_id: d.user_id, sequence: { $lt: d.sequence }, status: { $in: OPEN_DELIVERY_STATUSES }, holds_later: true })
      .sort({ sequence: 1 })
      .lean<WebhookDeliveryRecord>()
      .exec();
  }

  /** The open delivery of the same endpoint and user that comes next after `sequence` (woken when its predecessor ends). */
  nextOpen(d: Pick<WebhookDeliveryRecord, 'endpoint_id' | 'user_id' | 'sequence'>): Promise<WebhookDeliveryRecord | null> {
    return this.deliveries
      .findOne({ endpoint_id: d.endpoint_id, user_id: d.user_id, sequence: { $gt: d.sequence }, status: { $in: OPEN_DELIVERY_STATUSES } })
      .sort({ sequence: 1 })
      .lean<WebhookDeliveryRecord>()
      .exec();
  }

  /** Makes an open delivery due now (its predecessor ended). */
  async dueNow(deliveryId: string, now: Date): Promise<void> {
    await this.deliveries.updateOne({ _id: deliveryId, status: { $in: OPEN_DELIVERY_STATUSES } }, { $set: { next_attempt_at: now } }).exec();
  }

  /** A manual redelivery: open again, due now, a fresh retry round, and it holds back no newer event. */
  async redeliver(endpointId: string, deliveryId: string, now: Date): Promise<WebhookDeliveryRecord | null> {
    return this.deliveries
      .findOneAndUpdate(
        { _id: deliveryId, endpoint_id: endpointId },
        { $set: { status: 'pending', next_attempt_at: now, round_started_at: null, round_failures: 0, holds_later: false, finished_at: null } },
        { returnDocument: 'after' },
      )
      .lean<WebhookDeliveryRecord>()
      .exec();
  }

  /** Open deliveries due before `dueBefore` and not held by a live worker (the sweeper re-enqueues them). */
  overdue(dueBefore: Date, now: Date, limit: number): Promise<Array<Pick<WebhookDeliveryRecord, '_id'>>> {
    return this.deliveries
      .find(
        { status: { $in: OPEN_DELIVERY_STATUSES }, next_attempt_at: { $lte: dueBefore }, $or: [{ lease_until: null }, { lease_until: { $lte: now } }] },
        { _id: 1 },
      )
      .sort({ next_attempt_at: 1 })
      .limit(limit)
      .lean<Array<Pick<WebhookDeliveryRecord, '_id'>>>()
      .exec();
  }

  async deleteDelivery(deliveryId: string): Promise<void> {
    await this.deliveries.deleteOne({ _id: deliveryId }).exec();
  }

  /** A deleted endpoint's deliveries (its log goes with it, and nothing more is attempted). */
  async deleteOfEndpoint(endpointId: string): Promise<number> {
    return (await this.deliveries.deleteMany({ endpoint_id: endpointId }).exec()).deletedCount;
  }

  /** Every event and delivery of an erased user. */
  async deleteOfUser(clientId: string, userId: string): Promise<{ events: number; deliveries: number }> {
    const deliveries = (await this.deliveries.deleteMany({ client_id: clientId, user_id: userId }).exec()).deletedCount;
    const events = (await this.events.deleteMany({ client_id: clientId, user_id: userId }).exec()).deletedCount;
    return { events, deliveries };
  }

  /** Retention: deliveries and events created before `before`, whatever their state (the retry horizon is far shorter). */
  async purgeBefore(before: Date): Promise<{ events: number; deliveries: number }> {
    const deliveries = (await this.deliveries.deleteMany({ created_at: { $lt: before } }).exec()).deletedCount;
    const events = (await this.events.deleteMany({ created_at: { $lt: before } }).exec()).deletedCount;
    return { events, deliveries };
  }
}
