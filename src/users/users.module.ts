import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { AuthModule } from '../auth/auth.module';
import { UserRepository } from './user.repository';
import { USER_MODEL, UserSchema } from './user.schema';
import { UserOwnershipService } from './user-ownership.service';
import { UsersController } from './users.controller';

/** The ownership registry: user_id → owning client. */
@Module({
  imports: [AuthModule, MongooseModule.forFeature([{ name: USER_MODEL, schema: UserSchema }])],
  controllers: [UsersController],
  providers: [UserRepository, UserOwnershipService],
  exports: [UserOwnershipService],
})
export class UsersModule {}
