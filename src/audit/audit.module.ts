import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { AUDIT_EVENT_MODEL, AuditEventSchema } from './audit-event.schema';
import { AuditTrail } from './audit.trail';

/** The audit trail collection; for now only key rotation and rewrap events write to it. */
@Module({
  imports: [MongooseModule.forFeature([{ name: AUDIT_EVENT_MODEL, schema: AuditEventSchema }])],
  providers: [AuditTrail],
  exports: [AuditTrail],
})
export class AuditModule {}
