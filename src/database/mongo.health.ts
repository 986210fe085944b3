import { Injectable } from '@nestjs/common';
import { MongooseHealthIndicator } from '@nestjs/terminus';
import { AppConfig } from '../config/app.config';

/** Readiness of MongoDB: a ping on the app's connection within the health timeout. */
@Injectable()
export class MongoHealthIndicator {
  constructor(
    private readonly mongoose: MongooseHealthIndicator,
    private readonly config: AppConfig,
  ) {}

  check() {
    return this.mongoose.pingCheck('mongodb').withTimeout(this.config.HEALTH_CHECK_TIMEOUT_MS);
  }
}
