import { Injectable } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import type { Collection, Connection } from 'mongoose';
import type { KeyPurpose } from '../kms/envelope.service';

/** One place where records keep a KMS envelope: a collection and the envelope's field. */
export interface EnvelopeLocation {
  collection: string;
  field: string;
  purpose: KeyPurpose;
}

/**
 * Every envelope the rewrap job moves besides `tokens.enc` (which has its own
 * checkpointed walk in TokenRepository, being the one large collection). A
 * new collection storing an envelope must be added here; the integration test
 * `kms-rewrap-all-envelopes` scans the whole database for envelopes left on
 * an old key version after a rewrap.
 */
export const SWEPT_ENVELOPES: readonly EnvelopeLocation[] = [
  // OAuth request-token secret and the callback verifier (src/oauth), user-tokens key; short-lived records.
  { collection: 'oauth_pending', field: 'enc', purpose: 'user-tokens' },
  { collection: 'oauth_pending', field: 'verifier_enc', purpose: 'user-tokens' },
  // API keys' HMAC signing secrets (src/auth), app-credentials key; one record per key.
  { collection: 'api_keys', field: 'signing', purpose: 'app-credentials' },
];

/** A record whose envelope is wrapped by an older key version. */
export interface WrappedBelow {
  _id: unknown;
  wk: string;
}

/**
 * MongoDB adapter for the rewrap job over the SWEPT_ENVELOPES locations:
 * find, count and conditionally swap wrapped data keys. Works on the driver's
 * collections by name, so the owning modules' schemas stay theirs.
 */
@Injectable()
export class StoredEnvelopesRepository {
  constructor(@InjectConnection() private readonly connection: Connection) {}

  private collection(location: EnvelopeLocation): Collection {
    return this.connection.collection(location.collection);
  }

  private below(location: EnvelopeLocation, keyName: string, version: number): Record<string, unknown> {
    return { [`${location.field}.k`]: keyName, [`${location.field}.kv`]: { $lt: version } };
  }

  /** Up to `limit` records in `_id` order after `afterId` (null: from the start). */
  async findBelow(location: EnvelopeLocation, keyName: string, version: number, afterId: unknown, limit: number): Promise<WrappedBelow[]> {
    const filter: Record<string, unknown> = { ...this.below(location, keyName, version), ...(afterId !== null ? { _id: { $gt: afterId } } : {}) };
    const docs = await this.collection(location)
      .find(filter, { projection: { _id: 1, [`${location.field}.wk`]: 1 } })
      .sort({ _id: 1 })
      .limit(limit)
      .toArray();
    return docs.map((d) => ({ _id: d._id, wk: (d[location.field] as { wk: string }).wk }));
  }

  countBelow(location: EnvelopeLocation, keyName: string, version: number): Promise<number> {
    return this.collection(location).countDocuments(this.below(location, keyName, version));
  }

  /** Swaps the wrapped data key only if it is still the one rewrapped (a concurrent write wins). */
  async setWrappedKey(location: EnvelopeLocation, id: unknown, oldWrapped: string, wrapped: string, version: number): Promise<boolean> {
    const res = await this.collection(location).updateOne(
      { _id: id, [`${location.field}.wk`]: oldWrapped } as Record<string, unknown>,
      { $set: { [`${location.field}.wk`]: wrapped, [`${location.field}.kv`]: version } },
    );
    return res.modifiedCount === 1;
  }
}
