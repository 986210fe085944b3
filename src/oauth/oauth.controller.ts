import { Body, Controller, Get, HttpCode, Post, Query, Res } from '@nestjs/common';
import { ApiBadRequestResponse, ApiCreatedResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Authenticated, CurrentPrincipal, Public } from '../common/http/route-access';
import type { Principal } from '../common/http/request-context';
import { OAuthApprovedResponse, OAuthCallbackQuery, OAuthCompleteDto, OAuthConnectedResponse, OAuthStartDto, OAuthStartedResponse, OAuthVerifyDto } from './oauth.dto';
import { type OAuthApproved, type OAuthConnected, OAuthService, type OAuthStarted } from './oauth.service';

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
  @ApiResponse({ status: 502, description: 'flickr-error: Flickr failed' })
  @ApiResponse({ status: 504, description: 'flickr-error: Flickr did not answer in time' })
  start(@CurrentPrincipal() principal: Principal, @Body() body: OAuthStartDto): Promise<OAuthStarted> {
    return this.oauth.start({ clientId: principal.clientId, userId: body.user_id }, body.mode, body.perms, body.return_url);
  }

  @Post('verify')
  @HttpCode(200)
  @Authenticated('client')
  @ApiOperation({ summary: 'OOB mode: finish the connection with the PIN the user copied from Flickr' })
  @ApiOkResponse({ type: OAuthConnectedResponse })
  @ApiBadRequestResponse({ description: 'oauth-request-invalid (unknown, expired, used) or oauth-verifier-rejected' })
  @ApiNotFoundResponse({ description: 'no such user of this client' })
  @ApiResponse({ status: 502, description: 'flickr-error: Flickr failed' })
  @ApiResponse({ status: 504, description: 'flickr-error: Flickr did not answer in time' })
  verify(@CurrentPrincipal() principal: Principal, @Body() body: OAuthVerifyDto): Promise<OAuthConnected> {
    return this.oauth.verify({ clientId: principal.clientId, userId: body.user_id }, body.oauth_token, body.verifier);
  }

  /** No API key here: the user's browser arrives from Flickr. Nothing is connected until the initiator completes with its state. */
  @Get('callback')
  @Public()
  @ApiOperation({ summary: 'Callback mode (OAUTH_CALLBACK_ENABLED): Flickr redirects the browser here; 303 to the return URL with oauth_token' })
  @ApiOkResponse({ type: OAuthApprovedResponse, description: 'approved, not yet connected; answered as 303 to return_url?oauth_token=...&user_id=...&status=approved' })
  @ApiBadRequestResponse({ description: 'oauth-request-invalid (unknown, expired, already approved)' })
  @ApiNotFoundResponse({ description: 'callback mode is disabled' })
  async callback(@Query() query: OAuthCallbackQuery, @Res({ passthrough: true }) reply: FastifyReply): Promise<OAuthApproved> {
    const approved = await this.oauth.callback(query.oauth_token, query.oauth_verifier);
    const target = new URL(approved.return_url);
    target.searchParams.set('oauth_token', approved.oauth_token);
    target.searchParams.set('user_id', approved.user_id);
    target.searchParams.set('status', approved.status);
    reply.status(303).header('location', target.href);
    return approved;
  }

  @Post('complete')
  @HttpCode(200)
  @Authenticated('client')
  @ApiOperation({ summary: 'Callback mode: finish the connection with the one-time state from /v1/oauth/start (from the end user\'s session)' })
  @ApiOkResponse({ type: OAuthConnectedResponse })
  @ApiBadRequestResponse({ description: 'oauth-request-invalid (unknown, expired, not approved yet, wrong state, another user or client) or oauth-verifier-rejected' })
  @ApiResponse({ status: 502, description: 'flickr-error: Flickr failed' })
  @ApiResponse({ status: 504, description: 'flickr-error: Flickr did not answer in time' })
  @ApiNotFoundResponse({ description: 'no such user of this client, or callback mode is disabled' })
  complete(@CurrentPrincipal() principal: Principal, @Body() body: OAuthCompleteDto): Promise<OAuthConnected> {
    return this.oauth.complete({ clientId: principal.clientId, userId: body.user_id }, body.oauth_token, body.state);
  }
}
