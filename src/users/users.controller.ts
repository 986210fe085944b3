import { Controller, Get, HttpCode, Param, Put } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { Matches } from 'class-validator';
import { Authenticated, CurrentPrincipal } from '../auth/authenticated.decorator';
import type { Principal } from '../auth/principal';
import { toUserView, UserOwnershipService, type UserView } from './user-ownership.service';

export class UserParams {
  @ApiProperty({ example: 'user-42', description: '1-128 of A-Z a-z 0-9 . _ : -' })
  @Matches(/^[A-Za-z0-9._:-]{1,128}$/, { message: 'user_id must be 1-128 of A-Z a-z 0-9 . _ : -' })
  user_id!: string;
}

class UserResponse {
  @ApiProperty() user_id!: string;
  @ApiProperty() created_at!: Date;
}

/** Users of the calling client. The Flickr OAuth issue extends these routes with the account connection. */
@ApiTags('users')
@Authenticated('client')
@Controller('v1/users')
export class UsersController {
  constructor(private readonly ownership: UserOwnershipService) {}

  @Get(':user_id')
  @ApiOperation({ summary: 'A user of the calling client' })
  @ApiOkResponse({ type: UserResponse })
  @ApiNotFoundResponse({ description: 'unknown, or owned by another client (same answer)' })
  async get(@CurrentPrincipal() principal: Principal, @Param() params: UserParams): Promise<UserView> {
    return toUserView(await this.ownership.assertOwned(principal.clientId, params.user_id));
  }

  @Put(':user_id')
  @HttpCode(200)
  @ApiOperation({ summary: 'Register a user for the calling client (idempotent)' })
  @ApiOkResponse({ type: UserResponse })
  @ApiNotFoundResponse({ description: 'the user_id belongs to another client' })
  async put(@CurrentPrincipal() principal: Principal, @Param() params: UserParams): Promise<UserView> {
    return toUserView(await this.ownership.register(principal.clientId, params.user_id));
  }
}
