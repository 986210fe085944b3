import { Injectable } from '@nestjs/common';
import { InjectMetric, makeCounterProvider } from '@willsoto/nestjs-prometheus';
import type { Counter } from 'prom-client';
import type { RateLimitClass, RateLimitLabel, RateLimitScope } from './rate-limit.types';

export const RATE_LIMIT_HITS = 'rate_limit_hits_total';
export const RATE_LIMIT_STORE_ERRORS = 'rate_limit_store_errors_total';

export const rateLimitMetricProviders = [
  makeCounterProvider({ name: RATE_LIMIT_HITS, help: 'Requests refused by a rate limit', labelNames: ['scope', 'class'] }),
  makeCounterProvider({
    name: RATE_LIMIT_STORE_ERRORS,
    help: 'Rate-limit checks that could not reach Redis, by class and whether the request was let through',
    labelNames: ['class', 'outcome'],
  }),
];

@Injectable()
export class RateLimitMetrics {
  constructor(
    @InjectMetric(RATE_LIMIT_HITS) private readonly hits: Counter<string>,
    @InjectMetric(RATE_LIMIT_STORE_ERRORS) private readonly storeErrors: Counter<string>,
  ) {}

  limited(scope: RateLimitScope, cls: RateLimitLabel): void {
    this.hits.inc({ scope, class: cls });
  }

  storeUnavailable(cls: RateLimitClass, failOpen: boolean): void {
    this.storeErrors.inc({ class: cls, outcome: failOpen ? 'allowed' : 'refused' });
  }
}
