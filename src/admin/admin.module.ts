import { Module } from '@nestjs/common';
import { RequestLogModule } from '../request-log/request-log.module';
import { AuthModule } from '../auth/auth.module';
import { KmsAdminController, KmsAdminRoutesGuard } from '../tokens/kms-admin.controller';
import { TokensModule } from '../tokens/tokens.module';
import { ApiKeysAdminController } from './api-keys.admin.controller';
import { AuditAdminController } from './audit.admin.controller';
import { SecurityEventsAdminController } from './security-events.admin.controller';
import { SecurityEventsModule } from '../security-events/security-events.module';

/** Thin admin controllers under /admin; the rules live in the auth and audit services. */
@Module({
  imports: [AuthModule, RequestLogModule, SecurityEventsModule, TokensModule],
  // KMS administration lives in the API process only (the worker shares TokensModule, not these routes).
  controllers: [ApiKeysAdminController, AuditAdminController, SecurityEventsAdminController, KmsAdminController],
  providers: [KmsAdminRoutesGuard],
})
export class AdminModule {}
