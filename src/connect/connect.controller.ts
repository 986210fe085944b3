import { Body, Controller, Get, Param, Post, Req } from '@nestjs/common';
import { ApiBadRequestResponse, ApiCreatedResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Authenticated, CurrentPrincipal } from '../common/http/route-access';
import type { Principal } from '../common/http/request-context';
import { ConnectSessionCreatedResponse, ConnectSessionIdParam, ConnectSessionResponse, CreateConnectSessionDto } from './connect.dto';
import { type ConnectSessionCreated, type ConnectSessionView, ConnectService } from './connect.service';

/** The request's own origin (used only when CONNECT_PUBLIC_URL is unset). */
export const requestOrigin = (request: FastifyRequest) => `${request.protocol}://${request.headers.host ?? 'localhost'}`;

/** Hosted connect sessions: a one-time link that connects a user's Flickr account in their browser. */
@ApiTags('connect')
@Controller('v1/connect-sessions')
@Authenticated('client')
export class ConnectController {
  constructor(private readonly connect: ConnectService) {}

  @Post()
  @ApiOperation({ summary: 'Create a one-time connect link for a user (see docs/connect.md)' })
  @ApiCreatedResponse({ type: ConnectSessionCreatedResponse })
  @ApiBadRequestResponse({ description: 'validation-failed, or connect-return-url-not-allowed' })
  create(@CurrentPrincipal() principal: Principal, @Body() body: CreateConnectSessionDto, @Req() request: FastifyRequest): Promise<ConnectSessionCreated> {
    return this.connect.create(
      { clientId: principal.clientId, userId: body.user_id },
      { perms: body.perms, mode: body.mode, returnUrl: body.return_url, expiresIn: body.expires_in },
      requestOrigin(request),
    );
  }

  @Get(':id')
  @ApiOperation({ summary: 'The status of one of your connect sessions' })
  @ApiOkResponse({ type: ConnectSessionResponse })
  @ApiNotFoundResponse({ description: 'no such session of this client' })
  view(@CurrentPrincipal() principal: Principal, @Param() params: ConnectSessionIdParam): Promise<ConnectSessionView> {
    return this.connect.view(principal.clientId, params.id);
  }
}
