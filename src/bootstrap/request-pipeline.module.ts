import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AuthModule } from '../auth/auth.module';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { RequestPipelineGuard } from './request-pipeline.guard';

/** The API's request pipeline guard, global: every Nest route of the API process goes through it. */
@Module({
  imports: [AuthModule, RateLimitModule],
  providers: [RequestPipelineGuard, { provide: APP_GUARD, useExisting: RequestPipelineGuard }],
})
export class RequestPipelineModule {}
