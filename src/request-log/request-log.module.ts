import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { RequestLogConfig } from './request-log.config';
import { RequestLogBuffer, requestLogMetricProviders } from './request-log.buffer';
import { RequestLogHook } from './request-log.hook';
import { RequestLogRepository } from './request-log.repository';
import { REQUEST_LOG_MODEL, requestLogSchema } from './request-log.schema';
import { RequestLogService } from './request-log.service';

/**
 * The request log of the API process: hook → bounded buffer → batched writes to `audit_logs`.
 * It reads the request context only, so it depends on no other feature.
 */
@Module({
  imports: [
    MongooseModule.forFeatureAsync([
      { name: REQUEST_LOG_MODEL, inject: [RequestLogConfig], useFactory: (c: RequestLogConfig) => requestLogSchema(c.AUDIT_RETENTION_DAYS) },
    ]),
  ],
  providers: [RequestLogRepository, RequestLogBuffer, ...requestLogMetricProviders, RequestLogHook, RequestLogService],
  exports: [RequestLogService, RequestLogBuffer],
})
export class RequestLogModule {}
