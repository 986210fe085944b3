import { Module } from '@nestjs/common';
import { AppConfig } from './config/app.config';
import { AppConfigModule } from './config/app-config.module';
import { DatabaseModule } from './database/database.module';
import { MongoConfig } from './database/mongo.config';
import { HealthModule } from './health/health.module';
import { LoggingModule } from './logging/logging.module';
import { MetricsModule } from './metrics/metrics.module';
import { QueueModule } from './queue/queue.module';
import { RedisConfig } from './redis/redis.config';
import { RedisModule } from './redis/redis.module';

/** Every config slice; validated together at start-up so all problems are reported at once. */
export const CONFIG_SLICES = [AppConfig, MongoConfig, RedisConfig];

/** Modules both processes need. */
export const CORE_MODULES = [
  AppConfigModule.forRoot(CONFIG_SLICES),
  LoggingModule,
  DatabaseModule,
  RedisModule,
  QueueModule,
  HealthModule,
  MetricsModule,
];

/** The HTTP API process: public API under /v1, admin API under /admin. */
@Module({
  imports: [...CORE_MODULES],
})
export class AppModule {}
