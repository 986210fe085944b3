import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { OAuthModule } from '../oauth/oauth.module';
import { SecurityEventsModule } from '../security-events/security-events.module';
import { UsersModule } from '../users/users.module';
import { ConnectController } from './connect.controller';
import { ConnectPageController } from './connect-page.controller';
import { ConnectService } from './connect.service';
import { CONNECT_SESSION_MODEL, ConnectSessionSchema } from './connect-session.schema';
import { ConnectSessionRepository } from './connect-session.repository';
import { ConnectSettingsAdminController } from './connect-settings.admin.controller';
import { ConnectSettingsCache } from './connect-settings.cache';
import { ConnectSettingsChangeBus } from './connect-settings-change.bus';
import { ConnectSettingsRepository } from './connect-settings.repository';
import { CONNECT_SETTINGS_MODEL, ConnectSettingsSchema } from './connect-settings.schema';
import { ConnectSettingsService } from './connect-settings.service';

/**
 * Hosted connect sessions (POST /v1/connect-sessions), the connect page (/connect/:token), and each
 * client's page settings (branding, return-URL allowlist; admin API /admin/clients/:client_id/connect-settings).
 */
@Module({
  imports: [
    OAuthModule,
    UsersModule,
    SecurityEventsModule,
    MongooseModule.forFeature([
      { name: CONNECT_SESSION_MODEL, schema: ConnectSessionSchema },
      { name: CONNECT_SETTINGS_MODEL, schema: ConnectSettingsSchema },
    ]),
  ],
  controllers: [ConnectController, ConnectPageController, ConnectSettingsAdminController],
  providers: [ConnectSessionRepository, ConnectService, ConnectSettingsRepository, ConnectSettingsChangeBus, ConnectSettingsCache, ConnectSettingsService],
})
export class ConnectModule {}
