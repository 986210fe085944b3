import { Module } from '@nestjs/common';
import { RequestLogModule } from '../request-log/request-log.module';
import { AuthModule } from '../auth/auth.module';
import { KmsAdminController, KmsAdminRoutesGuard } from '../tokens/kms-admin.controller';
import { TokensModule } from '../tokens/tokens.module';
import { ApiKeysAdminController } from './api-keys.admin.controller';
import { AuditAdminController } from './audit.admin.controller';

/** Thin admin controllers under /admin; the rules live in the auth and audit services. */
@Module({
  imports: [AuthModule, RequestLogModule, TokensModule],
  // KMS administration lives in the API process only (the worker shares TokensModule, not these routes).
  controllers: [ApiKeysAdminController, AuditAdminController, KmsAdminController],
  providers: [KmsAdminRoutesGuard],
})
export class AdminModule {}
