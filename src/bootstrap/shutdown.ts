import type { INestApplication, LoggerService } from '@nestjs/common';
import { AppConfig } from '../config/app.config';
import { ShutdownState } from '../health/shutdown.state';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * SIGTERM/SIGINT: readiness flips to 503 first, then after the drain delay the
 * server stops accepting and waits for in-flight requests, then queues, MongoDB
 * and Redis close (their onApplicationShutdown hooks). Exit 0 on a clean finish,
 * 1 if the grace period runs out.
 */
export function installGracefulShutdown(app: INestApplication, logger: LoggerService): void {
  let started = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (started) return;
    started = true;
    void (async () => {
      const config = app.get(AppConfig);
      app.get(ShutdownState).startDraining();
      logger.log(`${signal}: draining for ${config.SHUTDOWN_DRAIN_DELAY_MS} ms`, 'Shutdown');
      const hardStop = setTimeout(() => {
        logger.error(`grace period of ${config.SHUTDOWN_GRACE_MS} ms exceeded`, undefined, 'Shutdown');
        process.exit(1);
      }, config.SHUTDOWN_GRACE_MS);
      hardStop.unref();
      await sleep(config.SHUTDOWN_DRAIN_DELAY_MS);
      try {
        await app.close();
        clearTimeout(hardStop);
        logger.log('complete', 'Shutdown');
        process.exit(0);
      } catch (error) {
        logger.error(`failed: ${(error as Error).message}`, (error as Error).stack, 'Shutdown');
        process.exit(1);
      }
    })();
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}
