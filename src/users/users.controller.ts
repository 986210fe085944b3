import { Controller, Delete, Get, HttpCode, Param, Put, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { Matches } from 'class-validator';
import { Authenticated, CurrentPrincipal } from '../common/http/route-access';
import type { Principal } from '../common/http/request-context';
import type { Page } from '../common/pagination/cursor';
import { UserConnectionService } from './user-connection.service';
import { UserListService } from './user-list.service';
import { toUserView, UserOwnershipService, type UserView } from './user-ownership.service';
import { UserPageResponse, UserResponse, UsersListQuery } from './users.dto';

export class UserParams {
  @ApiProperty({ example: 'user-42', description: '1-128 of A-Z a-z 0-9 . _ : -' })
  @Matches(/^[A-Za-z0-9._:-]{1,128}$/, { message: 'user_id must be 1-128 of A-Z a-z 0-9 . _ : -' })
  user_id!: string;
}

/** Users of the calling client and their Flickr connection state. */
@ApiTags('users')
@Authenticated('client')
@Controller('v1/users')
export class UsersController {
  constructor(
    private readonly ownership: UserOwnershipService,
    private readonly connections: UserConnectionService,
    private readonly lists: UserListService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'The users of the calling client, oldest first, a page at a time; optionally only those in one connection state' })
  @ApiOkResponse({ type: UserPageResponse })
  @ApiBadRequestResponse({ description: 'validation-failed problem: unknown state, limit outside 1-500, or a cursor this API did not return' })
  list(@CurrentPrincipal() principal: Principal, @Query() query: UsersListQuery): Promise<Page<UserView>> {
    return this.lists.page(principal.clientId, { state: query.state }, query.limit, query.cursor);
  }

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
