import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import { KEY_PURPOSES } from '../kms/envelope.service';
import { KeyRotationService } from '../kms/key-rotation.service';
import { KmsConfig } from '../kms/kms.config';
import { KmsProvider } from '../kms/kms.provider';
import { EnvelopeService } from '../kms/envelope.service';
import { TokenRewrapJob } from './token-rewrap.job';

const CHECK_EVERY_MS = 3600 * 1000;

/**
 * The rotation schedule: hourly, rotates any key whose newest version is
 * older than KMS_ROTATION_INTERVAL_DAYS, then rewraps; also resumes a rewrap
 * that a crashed process left running. A Redis lock keeps several replicas
 * from rotating the same key twice.
 */
@Injectable()
export class KeyRotationScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(KeyRotationScheduler.name);
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly config: KmsConfig,
    private readonly rotation: KeyRotationService,
    private readonly kms: KmsProvider,
    private readonly envelope: EnvelopeService,
    private readonly rewrap: TokenRewrapJob,
    private readonly redis: Redis,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.KMS_ROTATION_SCHEDULE_ENABLED) return;
    this.timer = setInterval(() => void this.tick().catch((e: unknown) => this.logger.warn(`rotation check failed: ${String(e)}`)), CHECK_EVERY_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** One check; public so tests and the CLI can run it. */
  async tick(now = Date.now()): Promise<string[]> {
    const rotated: string[] = [];
    for (const purpose of KEY_PURPOSES) {
      const keyName = this.envelope.keyName(purpose);
      const info = await this.kms.keyInfo(keyName);
      if (!this.rotation.isDue(info, now)) continue;
      // NX + expiry: one replica rotates; the lock outlives the check interval so nobody rotates again meanwhile.
      const locked = await this.redis.set(`kms:rotation:${keyName}`, String(info.latestVersion), 'PX', CHECK_EVERY_MS * 2, 'NX');
      if (locked !== 'OK') continue;
      await this.rotation.rotate(purpose, 'schedule');
      rotated.push(keyName);
    }
    // Both keys: user-tokens envelopes (tokens, oauth_pending) and app-credentials ones (api_keys signing secrets).
    for (const purpose of KEY_PURPOSES) {
      const progress = await this.rewrap.progress(purpose);
      if (rotated.includes(progress.key) || (progress.status === 'running' && !this.rewrap.isRunningFor(purpose)) || progress.remaining > 0) {
        const locked = await this.redis.set(`kms:rewrap:${progress.key}`, '1', 'PX', CHECK_EVERY_MS, 'NX');
        if (locked === 'OK') void this.rewrap.start('schedule', purpose);
      }
    }
    return rotated;
  }
}
