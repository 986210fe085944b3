import { Body, Controller, Get, HttpCode, Post, Query, Res } from '@nestjs/common';
import { ApiBadRequestResponse, ApiCreatedResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Authenticated, CurrentPrincipal } from '../auth/authenticated.decorator';
import type { Principal } from '../auth/principal';
import { OAuthCallbackQuery, OAuthConnectedResponse, OAuthStartDto, OAuthStartedResponse, OAuthVerifyDto } from './oauth.dto';
import { type OAuthConnected, OAuthService, type OAuthStarted } from './oauth.service';

/** Connecting a user's Flickr account (OAuth 1.0a). */
@ApiTags('oauth')
@Controller('v1/oauth')
export class OAuthController {
  constructor(private readonly oauth: OAuthService) {}

  @Post('start')
  @Authenticated('client')
  @ApiOperation({ summary: "Start connecting a user's Flickr account; answers the Flickr authorize URL" })
  @ApiCreatedResponse({ type: OAuthStartedResponse })
  @ApiBadRequestResponse({ description: 'validation-failed, or oauth-callback-disabled' })
  start(@CurrentPrincipal() principal: Principal, @Body() body: OAuthStartDto): Promise<OAuthStarted> {
    return this.oauth.start(principal.clientId, body.user_id, body.mode, body.perms, body.return_url);
  }

  @Post('verify')
  @HttpCode(200)
  @Authenticated('client')
  @ApiOperation({ summary: 'OOB mode: finish the connection with the PIN the user copied from Flickr' })
  @ApiOkResponse({ type: OAuthConnectedResponse })
  @ApiBadRequestResponse({ description: 'oauth-request-invalid (unknown, expired, used) or oauth-verifier-rejected' })
  verify(@CurrentPrincipal() principal: Principal, @Body() body: OAuthVerifyDto): Promise<OAuthConnected> {
    return this.oauth.verify(principal.clientId, body.user_id, body.oauth_token, body.verifier);
  }

  /** No API key here: the user's browser arrives from Flickr; the request token identifies the pending connection. */
  @Get('callback')
  @ApiOperation({ summary: 'Callback mode (OAUTH_CALLBACK_ENABLED): Flickr redirects the browser here' })
  @ApiOkResponse({ type: OAuthConnectedResponse, description: 'connected; 303 to return_url when the start gave one' })
  @ApiNotFoundResponse({ description: 'callback mode is disabled' })
  async callback(@Query() query: OAuthCallbackQuery, @Res({ passthrough: true }) reply: FastifyReply): Promise<OAuthConnected> {
    const { connected, returnUrl } = await this.oauth.callback(query.oauth_token, query.oauth_verifier);
    if (returnUrl) {
      const target = new URL(returnUrl);
      target.searchParams.set('user_id', connected.user_id);
      target.searchParams.set('status', connected.status);
      reply.status(303).header('location', target.href);
    }
    return connected;
  }
}
