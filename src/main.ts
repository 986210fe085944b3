import 'reflect-metadata';
import { AppModule, CONFIG_SLICES } from './app.module';
import { runProcess } from './bootstrap/run';

/** The HTTP API process. */
void runProcess(AppModule, {
  configSlices: CONFIG_SLICES,
  kind: 'api', port: (config) => config.PORT, swagger: true });
