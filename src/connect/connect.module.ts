import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { OAuthModule } from '../oauth/oauth.module';
import { UsersModule } from '../users/users.module';
import { ConnectController } from './connect.controller';
import { ConnectPageController } from './connect-page.controller';
import { ConnectService } from './connect.service';
import { CONNECT_SESSION_MODEL, ConnectSessionSchema } from './connect-session.schema';
import { ConnectSessionRepository } from './connect-session.repository';

/** Hosted connect sessions (POST /v1/connect-sessions) and the connect page (/connect/:token). */
@Module({
  imports: [OAuthModule, UsersModule, MongooseModule.forFeature([{ name: CONNECT_SESSION_MODEL, schema: ConnectSessionSchema }])],
  controllers: [ConnectController, ConnectPageController],
  providers: [ConnectSessionRepository, ConnectService],
})
export class ConnectModule {}
