import { Controller, Delete, Get, HttpCode, Param, Put } from '@nestjs/common';
import { ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Matches } from 'class-validator';
import { Authenticated, CurrentPrincipal } from '../auth/authenticated.decorator';
import type { Principal } from '../auth/principal';
import { UserConnectionService } from './user-connection.service';
import { toUserView, UserOwnershipService, type UserView } from './user-ownership.service';

export class UserParams {
  @ApiProperty({ example: 'user-42', description: '1-128 of A-Z a-z 0-9 . _ : -' })
  @Matches(/^[A-Za-z0-9._:-]{1,128}$/, { message: 'user_id must be 1-128 of A-Z a-z 0-9 . _ : -' })
  user_id!: string;
}

class FlickrConnectionResponse {
  @ApiProperty({ enum: ['not_connected', 'connected', 'reauthorization_required'] }) state!: string;
  @ApiPropertyOptional({ example: '12345678@N00' }) nsid?: string;
  @ApiPropertyOptional() username?: string;
  @ApiPropertyOptional() fullname?: string;
  @ApiPropertyOptional({ enum: ['read', 'write', 'delete'] }) perms?: string;
  @ApiPropertyOptional() connected_at?: Date;
  @ApiPropertyOptional() changed_at?: Date;
}

class UserResponse {
  @ApiProperty() user_id!: string;
  @ApiProperty() created_at!: Date;
  @ApiProperty({ type: FlickrConnectionResponse, description: 'the Flickr connection state; never a token or secret' })
  flickr!: FlickrConnectionResponse;
}

/** Users of the calling client and their Flickr connection state. */
@ApiTags('users')
@Authenticated('client')
@Controller('v1/users')
export class UsersController {
  constructor(
    private readonly ownership: UserOwnershipService,
    private readonly connections: UserConnectionService,
  ) {}

  @Get(':user_id')
  @ApiOperation({ summary: 'A user of the calling client, with its Flickr connection state' })
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

  @Delete(':user_id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Erase a user: its stored Flickr token, its connection and its registration' })
  @ApiNoContentResponse({ description: 'erased' })
  @ApiNotFoundResponse({ description: 'unknown, or owned by another client (same answer)' })
  async delete(@CurrentPrincipal() principal: Principal, @Param() params: UserParams): Promise<void> {
    await this.connections.erase(principal.clientId, params.user_id);
  }
}
