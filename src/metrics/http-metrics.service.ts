import { Injectable } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Histogram } from 'prom-client';

export const API_REQUEST_LATENCY = 'api_request_latency';

/** Records request latency labelled by route template (never the raw URL, which would explode cardinality). */
@Injectable()
export class HttpMetricsService {
  constructor(@InjectMetric(API_REQUEST_LATENCY) private readonly latency: Histogram<string>) {}

  observe(method: string, routeTemplate: string | undefined, statusCode: number, seconds: number): void {
    this.latency.observe(
      { method, route: routeTemplate ?? 'unmatched', status_class: `${Math.floor(statusCode / 100)}xx` },
      seconds,
    );
  }
}
