import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { AuthModule } from '../auth/auth.module';
import { AuditConfig } from './audit.config';
import { AuditLogBuffer, auditLogMetricProviders } from './audit-log.buffer';
import { AuditLogHook } from './audit-log.hook';
import { AuditLogRepository } from './audit-log.repository';
import { AUDIT_LOG_MODEL, auditLogSchema } from './audit-log.schema';
import { AuditLogService } from './audit-log.service';

/** The call audit trail of the API process: hook → bounded buffer → batched writes to `audit_logs`. */
@Module({
  imports: [
    AuthModule,
    MongooseModule.forFeatureAsync([
      { name: AUDIT_LOG_MODEL, inject: [AuditConfig], useFactory: (c: AuditConfig) => auditLogSchema(c.AUDIT_RETENTION_DAYS) },
    ]),
  ],
  providers: [AuditLogRepository, AuditLogBuffer, ...auditLogMetricProviders, AuditLogHook, AuditLogService],
  exports: [AuditLogService, AuditLogBuffer],
})
export class AuditLogModule {}
