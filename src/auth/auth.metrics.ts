import { Injectable } from '@nestjs/common';
import { InjectMetric, makeCounterProvider } from '@willsoto/nestjs-prometheus';
import type { Counter } from 'prom-client';
import type { AuthFailureReason } from './auth.errors';

export const AUTH_FAILURES = 'auth_failures_total';
export const AUTH_CACHE_LOOKUPS = 'auth_verify_cache_lookups_total';

export const authMetricProviders = [
  makeCounterProvider({ name: AUTH_FAILURES, help: 'Failed client authentications by reason', labelNames: ['reason'] }),
  makeCounterProvider({
    name: AUTH_CACHE_LOOKUPS,
    help: 'API-key verification cache lookups by result (hit, miss)',
    labelNames: ['result'],
  }),
];

/** Counters of the auth module. Per-IP limiting of failures lands with the rate-limit module. */
@Injectable()
export class AuthMetrics {
  constructor(
    @InjectMetric(AUTH_FAILURES) private readonly failures: Counter<string>,
    @InjectMetric(AUTH_CACHE_LOOKUPS) private readonly lookups: Counter<string>,
  ) {}

  failed(reason: AuthFailureReason): void {
    this.failures.inc({ reason });
  }

  cacheLookup(hit: boolean): void {
    this.lookups.inc({ result: hit ? 'hit' : 'miss' });
  }
}
