import { Injectable } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Histogram } from 'prom-client';

export const API_REQUEST_LATENCY = 'api_request_latency';

/** Records request latency labelled by route template (never the raw URL, which would explode cardinality). */
@Injectable()
export class HttpMetricsService {
  /**
   * The labelled series, by method, route and status class: prom-client hashes the label object on
   * every observe; the series of a route are few (bounded by routes × methods × 5), so each is looked
   * up once.
   */
  private readonly series = new Map<string, Histogram.Internal<string>>();

  constructor(@InjectMetric(API_REQUEST_LATENCY) private readonly latency: Histogram<string>) {}

  observe(method: string, routeTemplate: string | undefined, statusCode: number, seconds: number): void {
    const route = routeTemplate ?? 'unmatched';
    const statusClass = `${Math.floor(statusCode / 100)}xx`;
    const name = `${method} ${statusClass} ${route}`;
    let series = this.series.get(name);
    if (!series) {
      series = this.latency.labels({ method, route, status_class: statusClass });
      this.series.set(name, series);
    }
    series.observe(seconds);
  }
}
