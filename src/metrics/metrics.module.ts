import { Module } from '@nestjs/common';
import { makeHistogramProvider, PrometheusModule } from '@willsoto/nestjs-prometheus';
import { API_REQUEST_LATENCY, HttpMetricsService } from './http-metrics.service';
import { MetricsController } from './metrics.controller';

/** GET /metrics with default Node metrics plus the HTTP latency histogram. */
@Module({
  imports: [PrometheusModule.register({ path: '/metrics', defaultMetrics: { enabled: true }, controller: MetricsController })],
  providers: [
    makeHistogramProvider({
      name: API_REQUEST_LATENCY,
      help: 'HTTP request latency in seconds, by method, route template and status class',
      labelNames: ['method', 'route', 'status_class'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    }),
    HttpMetricsService,
  ],
  exports: [HttpMetricsService],
})
export class MetricsModule {}
