import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { FlickrModule } from '../flickr/flickr.module';
import { KmsModule } from '../kms/kms.module';
import { UsersModule } from '../users/users.module';
import { OAuthController } from './oauth.controller';
import { OAuthService } from './oauth.service';
import { OAUTH_PENDING_MODEL, OAuthPendingSchema } from './oauth-pending.schema';
import { OAuthPendingRepository } from './oauth-pending.repository';
import { OAuthPendingSweeper } from './oauth-pending.sweeper';
import { OAuthClaimLock } from './oauth-claim.lock';

/** Connecting users' Flickr accounts: OOB PIN flow, and the callback flow behind OAUTH_CALLBACK_ENABLED. */
@Module({
  imports: [FlickrModule, KmsModule, UsersModule, MongooseModule.forFeature([{ name: OAUTH_PENDING_MODEL, schema: OAuthPendingSchema }])],
  controllers: [OAuthController],
  providers: [OAuthPendingRepository, OAuthPendingSweeper, OAuthClaimLock, OAuthService],
  // The hosted connect page (src/connect) drives the same flow.
  exports: [OAuthService],
})
export class OAuthModule {}
