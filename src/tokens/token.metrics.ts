import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { Counter, Gauge, register } from 'prom-client';
import { TokenRepository } from './token.repository';

/**
 * Metrics of the token vault, on the default registry that GET /metrics serves.
 * Created here (not with makeGaugeProvider) because the plaintext gauge counts
 * through this module's repository at scrape time.
 */
@Injectable()
export class TokenMetrics implements OnModuleDestroy {
  readonly plaintextRemaining: Gauge;
  readonly rewrapRemaining: Gauge<'key'>;
  readonly rewrapped: Counter<'key'>;
  readonly migrated: Counter;

  constructor(repository: TokenRepository) {
    // A second app in the same process (tests) replaces the first one's metrics.
    for (const name of ['fgw_tokens_plaintext_remaining', 'fgw_kms_rewrap_remaining', 'fgw_kms_rewrapped_records_total', 'fgw_tokens_migrated_total']) {
      register.removeSingleMetric(name);
    }
    this.plaintextRemaining = new Gauge({
      name: 'fgw_tokens_plaintext_remaining',
      help: 'Documents in tokens still holding plaintext OAuth tokens (legacy schema)',
      async collect() {
        this.set(await repository.countLegacy().catch(() => -1));
      },
    });
    this.rewrapRemaining = new Gauge({
      name: 'fgw_kms_rewrap_remaining',
      help: 'Records whose data key is still wrapped by an older key version than the rewrap target',
      labelNames: ['key'],
    });
    this.rewrapped = new Counter({ name: 'fgw_kms_rewrapped_records_total', help: 'Data keys re-wrapped to a newer key version', labelNames: ['key'] });
    this.migrated = new Counter({ name: 'fgw_tokens_migrated_total', help: 'Legacy plaintext token documents encrypted by the migration' });
  }

  onModuleDestroy(): void {
    for (const metric of [this.plaintextRemaining, this.rewrapRemaining, this.rewrapped, this.migrated]) {
      if (register.getSingleMetric((metric as unknown as { name: string }).name) === metric) {
        register.removeSingleMetric((metric as unknown as { name: string }).name);
      }
    }
  }
}
