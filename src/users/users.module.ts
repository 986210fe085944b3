import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { SecurityEventsModule } from '../security-events/security-events.module';
import { KmsModule } from '../kms/kms.module';
import { TokensModule } from '../tokens/tokens.module';
import { WebhooksModule } from '../webhooks/webhooks.module';
import { UserChangeBus } from './user-change.bus';
import { UserConnectionCache } from './user-connection.cache';
import { UserTokenCache } from './user-token.cache';
import { UserListService } from './user-list.service';
import { UserErasure } from './user-erasure';
import { UserScopeMigrationService } from './user-scope-migration.service';
import { UserRepository } from './user.repository';
import { USER_MODEL, UserSchema } from './user.schema';
import { UserConnectionService } from './user-connection.service';
import { UserOwnershipService } from './user-ownership.service';

/**
 * The user registry (scoped users: (client_id, user_id) → record) and each user's Flickr
 * connection. No routes: the worker imports it too; the API adds
 * UsersHttpModule.
 */
@Module({
  imports: [TokensModule, KmsModule, SecurityEventsModule, WebhooksModule, MongooseModule.forFeature([{ name: USER_MODEL, schema: UserSchema }])],
  providers: [UserRepository, UserOwnershipService, UserConnectionCache, UserTokenCache, UserChangeBus, UserConnectionService, UserErasure, UserScopeMigrationService, UserListService],
  exports: [UserOwnershipService, UserConnectionService, UserErasure, UserScopeMigrationService, UserListService],
})
export class UsersModule {}
