import { Module } from '@nestjs/common';
import { AuditLogModule } from '../audit/audit-log.module';
import { AuthModule } from '../auth/auth.module';
import { ApiKeysAdminController } from './api-keys.admin.controller';
import { AuditAdminController } from './audit.admin.controller';

/** Thin admin controllers under /admin; the rules live in the auth and audit services. */
@Module({
  imports: [AuthModule, AuditLogModule],
  controllers: [ApiKeysAdminController, AuditAdminController],
})
export class AdminModule {}
