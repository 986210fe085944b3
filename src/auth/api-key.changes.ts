import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { SecurityEvents } from '../security-events/security-events.service';
import { ApiKeyVerifier } from './api-key.verifier';
import { KeyInvalidationBus } from './key-invalidation.bus';
import { DEFAULT_INVALIDATION_RETRY, type InvalidationRetryOptions, KeyInvalidationOutbox } from './key-invalidation.outbox';

/** One security event about a key, as SecurityEvents records it. */
export type KeyEvent = Parameters<SecurityEvents['record']>[0];

/**
 * What follows every committed change of a key, in one order: this process
 * forgets the key (refused here at once), the security event is written, then
 * the other replicas are told in the background (retried until Redis takes
 * it). So an admin never gets an error for a change that happened unless its
 * event could not be written, and a Redis outage neither fails the change nor
 * loses the announcement.
 */
@Injectable()
export class ApiKeyChanges implements OnApplicationShutdown {
  /** Announcements to the other replicas that Redis has not taken yet (retried in the background). */
  readonly invalidations: KeyInvalidationOutbox;

  constructor(
    private readonly verifier: ApiKeyVerifier,
    bus: KeyInvalidationBus,
    private readonly events: SecurityEvents,
    retry: InvalidationRetryOptions = DEFAULT_INVALIDATION_RETRY,
  ) {
    this.invalidations = new KeyInvalidationOutbox((keyId) => bus.publish(keyId), retry);
  }

  onApplicationShutdown(): void {
    this.invalidations.close();
  }

  /** A key that was never cached anywhere (just created): only the event. */
  created(event: KeyEvent): Promise<void> {
    return this.events.record(event);
  }

  /**
   * After a committed change of `keyId`. The announcement is queued even when
   * the event write fails: the change is in effect, so other replicas must learn it.
   */
  async committed(keyId: string, event: KeyEvent): Promise<void> {
    this.verifier.forget(keyId);
    try {
      await this.events.record(event);
    } finally {
      this.invalidations.announce(keyId);
    }
  }
}
