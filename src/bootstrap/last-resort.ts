import { Counter, register } from 'prom-client';

/** Counts errors that escaped every handler; should stay 0 (an alert-worthy bug when it moves). */
let uncaught: Counter<'kind'> | undefined;

function counter(): Counter<'kind'> {
  uncaught ??=
    (register.getSingleMetric('process_uncaught_errors_total') as Counter<'kind'> | undefined) ??
    new Counter({
      name: 'process_uncaught_errors_total',
      help: 'Errors that escaped every handler (uncaught exceptions, unhandled rejections); the process kept serving',
      labelNames: ['kind'],
    });
  return uncaught;
}

/**
 * The process-level last resort. A client must never be able to end a
 * process that serves every tenant: request code handles its errors itself,
 * and anything that still escapes is logged with its stack and counted in
 * `process_uncaught_errors_total` instead of killing in-flight requests of
 * other clients. Tests assert the counter stays 0, so a bug is never hidden.
 */
export function installLastResort(log: (message: string, error: unknown) => void): void {
  counter().inc({ kind: 'uncaughtException' }, 0);
  counter().inc({ kind: 'unhandledRejection' }, 0);
  process.on('uncaughtException', (error) => {
    counter().inc({ kind: 'uncaughtException' });
    log('uncaught exception (process kept serving)', error);
  });
  process.on('unhandledRejection', (reason) => {
    counter().inc({ kind: 'unhandledRejection' });
    log('unhandled promise rejection (process kept serving)', reason);
  });
}
