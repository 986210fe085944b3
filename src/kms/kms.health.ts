import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { AppConfig } from '../config/app.config';
import { KmsProvider } from './kms.provider';

/** Readiness of the key service: Vault answers, unsealed, within the health timeout. */
@Injectable()
export class KmsHealthIndicator {
  constructor(
    private readonly kms: KmsProvider,
    private readonly health: HealthIndicatorService,
    private readonly config: AppConfig,
  ) {}

  check() {
    return this.health
      .check('kms')
      .attempt(() => this.kms.ping())
      .withTimeout(this.config.HEALTH_CHECK_TIMEOUT_MS);
  }
}
