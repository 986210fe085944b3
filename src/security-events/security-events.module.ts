import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { SECURITY_EVENT_MODEL, SecurityEventSchema } from './security-event.schema';
import { SecurityEvents } from './security-events.service';

/** Security events (`audit_events`): the append-only record of admin, key and KMS events. */
@Module({
  imports: [MongooseModule.forFeature([{ name: SECURITY_EVENT_MODEL, schema: SecurityEventSchema }])],
  providers: [SecurityEvents],
  exports: [SecurityEvents],
})
export class SecurityEventsModule {}
