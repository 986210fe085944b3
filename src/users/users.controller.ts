import { Controller, Delete, Get, HttpCode, Param, Put } from '@nestjs/common';
import { ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Matches } from 'class-validator';
import { Authenticated, CurrentPrincipal } from '../common/http/route-access';
import type { Principal } from '../common/http/request-context';
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
  @ApiNotFoundResponse({ description: 'no such user of this client' })
  async get(@CurrentPrincipal() principal: Principal, @Param() params: UserParams): Promise<UserView> {
    return toUserView(await this.ownership.assertOwned({ clientId: principal.clientId, userId: params.user_id }));
  }

  @Put(':user_id')
  @HttpCode(200)
  @ApiOperation({ summary: 'Register a user for the calling client (idempotent; user ids are per client, so any free or foreign-looking id works)' })
  @ApiOkResponse({ type: UserResponse })
  async put(@CurrentPrincipal() principal: Principal, @Param() params: UserParams): Promise<UserView> {
    return toUserView(await this.ownership.register({ clientId: principal.clientId, userId: params.user_id }));
  }

  @Delete(':user_id')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Erase a user: queued uploads cancelled, pending OAuth requests and cached Flickr answers dropped, token and registration deleted (idempotent)',
  })
  @ApiNoContentResponse({ description: 'erased, or there was no such user of this client (same answer)' })
  async delete(@CurrentPrincipal() principal: Principal, @Param() params: UserParams): Promise<void> {
    await this.connections.erase({ clientId: principal.clientId, userId: params.user_id }, `key:${principal.keyId}`);
  }
}
