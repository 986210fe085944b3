import { Counter, register } from 'prom-client';
import type { KmsProvider } from './kms.provider';

const REQUESTS = 'kms_requests_total';

/** The KMS operations that are round trips to the key service, and their metric label. */
const OPERATIONS = {
  generateDataKey: 'generate',
  unwrapDataKey: 'unwrap',
  rewrapDataKeys: 'rewrap',
  rotateKey: 'rotate',
  keyInfo: 'key-info',
} as const satisfies Partial<Record<keyof KmsProvider, string>>;

function requestCounter(): Counter<'operation'> {
  // One counter per registry, whichever provider asks first (tests build several apps in one process).
  return (register.getSingleMetric(REQUESTS) as Counter<'operation'> | undefined) ??
    new Counter({ name: REQUESTS, help: 'Calls made to the KMS provider, by operation', labelNames: ['operation'] });
}

/**
 * Counts every call to the KMS (`kms_requests_total{operation}`): what each request class costs in
 * KMS round trips is visible in production, and tests can prove that a path makes none. The
 * provider's own methods are wrapped in place rather than behind a decorator class, so the instance
 * keeps its class and its provider-specific methods (Vault's key configuration, used by rotation).
 */
export function meterKmsProvider<T extends KmsProvider>(provider: T): T {
  const requests = requestCounter();
  for (const [method, operation] of Object.entries(OPERATIONS) as Array<[keyof typeof OPERATIONS, string]>) {
    const original = (provider[method] as (...args: unknown[]) => unknown).bind(provider);
    Object.defineProperty(provider, method, {
      configurable: true,
      writable: true,
      value: (...args: unknown[]) => {
        requests.inc({ operation });
        return original(...args);
      },
    });
  }
  return provider;
}
