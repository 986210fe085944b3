import { Injectable } from '@nestjs/common';
import { EnvelopeService } from '../kms/envelope.service';
import type { ApiKeyRecord } from './api-key.schema';

/** A key's signing secrets in clear: the current one and, during a grace period, the previous one. */
export interface SigningSecrets {
  current: string;
  previous?: string;
}

/** The envelope context binds a sealed secret to its own key record: an envelope copied onto another key does not open. */
const CONTEXT_COLLECTION = 'api_keys';

/**
 * Seals and opens the HMAC signing secrets of API keys by envelope encryption
 * under the `app-credentials` KMS key. Signing secrets must be readable (the
 * server recomputes signatures), so unlike the API-key secret they cannot be
 * stored as a hash; this is the only place they are turned into clear text.
 */
@Injectable()
export class SigningSecretSealer {
  constructor(private readonly envelopes: EnvelopeService) {}

  /** The `signing` field of a key record holding `secrets`. */
  seal(keyId: string, secrets: SigningSecrets): Promise<ApiKeyRecord['signing']> {
    const fields: Record<string, string> = { current: secrets.current };
    if (secrets.previous) fields.previous = secrets.previous;
    return this.envelopes.encrypt('app-credentials', { collection: CONTEXT_COLLECTION, recordId: keyId }, fields);
  }

  /** The clear signing secrets of a record (rejects when the envelope does not belong to this key). */
  async open(record: ApiKeyRecord): Promise<SigningSecrets> {
    const fields = await this.envelopes.decrypt({ collection: CONTEXT_COLLECTION, recordId: record.key_id }, record.signing);
    return { current: fields.current, previous: fields.previous };
  }
}
