import { Injectable } from '@nestjs/common';
import { InjectMetric, makeCounterProvider } from '@willsoto/nestjs-prometheus';
import type { Counter } from 'prom-client';

/** How one delivery attempt ended: a 2xx, another HTTP status, no answer in time, no connection, or refused by the SSRF guard. */
export type WebhookAttemptOutcome = 'succeeded' | 'http_error' | 'timeout' | 'network_error' | 'refused';

export const webhooksMetricProviders = [
  makeCounterProvider({ name: 'webhook_delivery_attempts_total', help: 'Webhook delivery attempts made by the worker, by outcome', labelNames: ['outcome'] }),
  makeCounterProvider({ name: 'webhook_deliveries_dead_total', help: 'Webhook deliveries given up after WEBHOOKS_RETRY_HORIZON_MS of failures' }),
  makeCounterProvider({
    name: 'webhook_events_total',
    help: 'Webhook events recorded (result="recorded") or lost because the outbox write failed (result="not_recorded"), by type',
    labelNames: ['type', 'result'],
  }),
];

@Injectable()
export class WebhooksMetrics {
  constructor(
    @InjectMetric('webhook_delivery_attempts_total') private readonly attempts: Counter<string>,
    @InjectMetric('webhook_deliveries_dead_total') private readonly dead: Counter<string>,
    @InjectMetric('webhook_events_total') private readonly events: Counter<string>,
  ) {}

  attempt(outcome: WebhookAttemptOutcome): void {
    this.attempts.inc({ outcome });
  }

  gaveUp(): void {
    this.dead.inc();
  }

  event(type: string, result: 'recorded' | 'not_recorded'): void {
    this.events.inc({ type, result });
  }
}
