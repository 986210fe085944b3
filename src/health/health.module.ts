import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { DatabaseModule } from '../database/database.module';
import { KmsModule } from '../kms/kms.module';
import { HealthController } from './health.controller';
import { HealthService } from './health.service';
import { ShutdownState } from './shutdown.state';

/** The probes; readiness composes the indicators each data-store module exports. */
@Module({
  imports: [TerminusModule.forRoot({ logger: false }), DatabaseModule, KmsModule],
  controllers: [HealthController],
  providers: [HealthService, ShutdownState],
  exports: [ShutdownState],
})
export class HealthModule {}
