import { Injectable } from '@nestjs/common';
import type { Envelope } from '../kms/envelope';
import { EnvelopeService } from '../kms/envelope.service';

/** The envelope context binds a sealed secret to its client: an envelope copied onto another client's app does not open. */
const context = (clientId: string) => ({ collection: 'flickr_apps', recordId: clientId });

/**
 * Seals and opens a client's Flickr consumer secret by envelope encryption under the `app-credentials`
 * KMS key (like API keys' signing secrets: it must be readable to sign, so it cannot be a hash). The
 * only place the secret is turned into clear text.
 */
@Injectable()
export class FlickrAppSealer {
  constructor(private readonly envelopes: EnvelopeService) {}

  seal(clientId: string, consumerSecret: string): Promise<Envelope> {
    return this.envelopes.encrypt('app-credentials', context(clientId), { consumer_secret: consumerSecret });
  }

  async open(clientId: string, sealed: Envelope): Promise<string> {
    return (await this.envelopes.decrypt(context(clientId), sealed)).consumer_secret;
  }
}
