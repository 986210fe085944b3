import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { SECURITY_EVENT_MODEL, SecurityEventSchema } from './security-event.schema';
import { SecurityEventsRepository } from './security-events.repository';
import { SecurityEvents } from './security-events.service';

/**
 * Security events (`audit_events`): the append-only record of admin, key, user-erasure and KMS events.
 * A leaf feature: it imports nothing from other features, so any of them may record events.
 */
@Module({
  imports: [MongooseModule.forFeature([{ name: SECURITY_EVENT_MODEL, schema: SecurityEventSchema }])],
  providers: [SecurityEventsRepository, SecurityEvents],
  exports: [SecurityEvents],
})
export class SecurityEventsModule {}
