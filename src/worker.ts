import 'reflect-metadata';
import { CONFIG_SLICES } from './app.module';
import { runProcess } from './bootstrap/run';
import { WorkerModule } from './worker.module';

/** The queue worker process; it listens only for its probes and metrics. */
void runProcess(WorkerModule, {
  configSlices: CONFIG_SLICES,
  kind: 'worker', port: (config) => config.WORKER_PORT, swagger: false });
