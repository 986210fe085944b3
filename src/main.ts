import 'reflect-metadata';
import { AppModule } from './app.module';
import { runProcess } from './bootstrap/run';

/** The HTTP API process. */
void runProcess(AppModule, { kind: 'api', port: (config) => config.PORT, swagger: true });
