import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { OAuthPendingRepository } from './oauth-pending.repository';

const SWEEP_EVERY_MS = 60_000;

/**
 * Deletes expired pending requests. On MongoDB the TTL index on `expires_at`
 * does this too; FerretDB 1.x refuses TTL indexes ("Index option
 * expireAfterSeconds is not implemented yet"), so without the sweeper expired
 * secrets would pile up there. Expiry itself is enforced on every read.
 */
@Injectable()
export class OAuthPendingSweeper implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(OAuthPendingSweeper.name);
  private timer?: NodeJS.Timeout;

  constructor(private readonly pending: OAuthPendingRepository) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.sweep().catch((error: Error) => this.logger.warn(`sweep failed: ${error.message}`)), SWEEP_EVERY_MS);
    this.timer.unref();
  }

  /** One pass; returns how many expired requests were removed. */
  sweep(now = new Date()): Promise<number> {
    return this.pending.deleteExpired(now);
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }
}
