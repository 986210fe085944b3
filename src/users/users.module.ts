import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { TokensModule } from '../tokens/tokens.module';
import { UserRepository } from './user.repository';
import { USER_MODEL, UserSchema } from './user.schema';
import { UserConnectionService } from './user-connection.service';
import { UserOwnershipService } from './user-ownership.service';

/**
 * The user registry (user_id → owning client) and each user's Flickr
 * connection. No routes: the worker imports it too; the API adds
 * UsersHttpModule.
 */
@Module({
  imports: [TokensModule, MongooseModule.forFeature([{ name: USER_MODEL, schema: UserSchema }])],
  providers: [UserRepository, UserOwnershipService, UserConnectionService],
  exports: [UserOwnershipService, UserConnectionService],
})
export class UsersModule {}
