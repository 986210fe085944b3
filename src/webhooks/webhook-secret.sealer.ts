import { Injectable } from '@nestjs/common';
import type { Envelope } from '../kms/envelope';
import { EnvelopeService } from '../kms/envelope.service';

/** The envelope context binds a sealed secret to its endpoint: an envelope copied onto another endpoint does not open. */
const context = (endpointId: string) => ({ collection: 'webhook_endpoints', recordId: endpointId });

/**
 * Seals and opens an endpoint's signing secret by envelope encryption under the `app-credentials` KMS key,
 * like API keys' signing secrets and clients' Flickr consumer secrets: the worker must read it to sign, so it
 * cannot be a hash. The only place the secret is turned into clear text.
 */
@Injectable()
export class WebhookSecretSealer {
  constructor(private readonly envelopes: EnvelopeService) {}

  seal(endpointId: string, secret: string): Promise<Envelope> {
    return this.envelopes.encrypt('app-credentials', context(endpointId), { signing_secret: secret });
  }

  async open(endpointId: string, sealed: Envelope): Promise<string> {
    return (await this.envelopes.decrypt(context(endpointId), sealed)).signing_secret;
  }
}
