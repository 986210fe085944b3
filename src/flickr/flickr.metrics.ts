import { Injectable } from '@nestjs/common';
import { InjectMetric, makeCounterProvider, makeGaugeProvider } from '@willsoto/nestjs-prometheus';
import type { Counter, Gauge } from 'prom-client';

export const flickrMetricProviders = [
  makeCounterProvider({
    name: 'flickr_api_error_rate_by_code',
    help: 'Failed Flickr calls by Flickr error code or HTTP status (rate() it for the error rate)',
    labelNames: ['code'],
  }),
  makeCounterProvider({ name: 'flickr_api_calls_total', help: 'Calls sent to Flickr', labelNames: ['class'] }),
  makeCounterProvider({ name: 'flickr_cache_hits_total', help: 'Reads answered from the cache' }),
  makeCounterProvider({ name: 'flickr_cache_misses_total', help: 'Reads that had to go to Flickr' }),
  makeGaugeProvider({ name: 'cache_hit_rate', help: 'Share of cacheable reads answered from the cache since start' }),
  makeCounterProvider({
    name: 'flickr_calls_refused_total',
    help: 'Calls not sent to Flickr because the breaker was open or the budget spent',
    labelNames: ['reason'],
  }),
];

@Injectable()
export class FlickrMetrics {
  private hits = 0;
  private misses = 0;

  constructor(
    @InjectMetric('flickr_api_error_rate_by_code') private readonly errors: Counter<string>,
    @InjectMetric('flickr_api_calls_total') private readonly calls: Counter<string>,
    @InjectMetric('flickr_cache_hits_total') private readonly cacheHits: Counter<string>,
    @InjectMetric('flickr_cache_misses_total') private readonly cacheMisses: Counter<string>,
    @InjectMetric('cache_hit_rate') private readonly hitRate: Gauge<string>,
    @InjectMetric('flickr_calls_refused_total') private readonly refused: Counter<string>,
  ) {}

  called(cls: string): void {
    this.calls.inc({ class: cls });
  }

  failed(code: string): void {
    this.errors.inc({ code });
  }

  cache(hit: boolean): void {
    if (hit) {
      this.hits++;
      this.cacheHits.inc();
    } else {
      this.misses++;
      this.cacheMisses.inc();
    }
    this.hitRate.set(this.hits / (this.hits + this.misses));
  }

  refusedLocally(reason: 'circuit-open' | 'budget-exhausted' | 'fair-share'): void {
    this.refused.inc({ reason });
  }
}
