import { loadSlice, validateEnvironment } from '../../src/config/env.validation';
import { webhookRetryDelay } from '../../src/webhooks/webhook.backoff';
import { WebhooksConfig } from '../../src/webhooks/webhooks.config';

describe('webhookRetryDelay (full jitter)', () => {
  const base = 30_000;
  const cap = 3_600_000;

  it('waits a random time in [0, min(cap, base · 2^(n-1))]: the ceiling doubles per failure and stops at the cap', () => {
    const ceilings = [1, 2, 3, 4, 5, 6, 7, 8, 20].map((n) => webhookRetryDelay(n, base, cap, () => 0.999999999));
    expect(ceilings).toEqual([29_999, 59_999, 119_999, 239_999, 479_999, 959_999, 1_919_999, 3_599_999, 3_599_999]);
    expect(webhookRetryDelay(1, base, cap, () => 0)).toBe(0);
    expect(webhookRetryDelay(4, base, cap, () => 0.5)).toBe(120_000);
  });

  it('spreads retries over the whole range (not a fixed schedule)', () => {
    const waits = Array.from({ length: 2000 }, () => webhookRetryDelay(3, base, cap));
    expect(Math.min(...waits)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...waits)).toBeLessThan(120_000);
    expect(waits.filter((w) => w < 60_000).length).toBeGreaterThan(600);
    expect(waits.filter((w) => w >= 60_000).length).toBeGreaterThan(600);
  });

  it('never overflows for a delivery that failed very often', () => {
    expect(webhookRetryDelay(10_000, base, cap, () => 0.999999999)).toBe(3_599_999);
  });

  it('the defaults retry for 24 h, and production refuses a shorter horizon', () => {
    const defaults = loadSlice(WebhooksConfig, {});
    expect([defaults.WEBHOOKS_RETRY_BASE_MS, defaults.WEBHOOKS_RETRY_CAP_MS, defaults.WEBHOOKS_RETRY_HORIZON_MS]).toEqual([30_000, 3_600_000, 86_400_000]);
    expect(() => validateEnvironment({ NODE_ENV: 'production', WEBHOOKS_RETRY_HORIZON_MS: '3600000' }, [WebhooksConfig])).toThrow(/WEBHOOKS_RETRY_HORIZON_MS: must be at least 24 h/);
    expect(() => validateEnvironment({ NODE_ENV: 'test', WEBHOOKS_RETRY_HORIZON_MS: '3600000' }, [WebhooksConfig])).not.toThrow();
    expect(() => validateEnvironment({ WEBHOOKS_REQUEST_TIMEOUT_MS: '0' }, [WebhooksConfig])).toThrow(/WEBHOOKS_REQUEST_TIMEOUT_MS/);
  });
});
