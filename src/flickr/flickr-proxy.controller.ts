import { Body, Controller, Headers, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBody, ApiConflictResponse, ApiHeader, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiProperty, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Matches } from 'class-validator';
import { Authenticated, CurrentPrincipal } from '../auth/authenticated.decorator';
import type { Principal } from '../auth/principal';
import { RateLimitClassFrom } from '../rate-limit/rate-limit.decorators';
import type { FlickrAnswer } from './flickr.client';
import { FLICKR_METHODS, flickrMethodPolicy } from './flickr.methods';
import { FlickrProxyService } from './flickr-proxy.service';

export class FlickrProxyParams {
  @ApiProperty({ example: 'user-42' })
  @Matches(/^[A-Za-z0-9._:-]{1,128}$/, { message: 'user_id must be 1-128 of A-Z a-z 0-9 . _ : -' })
  user_id!: string;

  @ApiProperty({ example: 'flickr.photos.search', enum: Object.keys(FLICKR_METHODS) })
  @Matches(/^flickr(\.[A-Za-z]+){1,4}$/, { message: 'method must look like flickr.photos.search' })
  method!: string;
}

/** Bypasses the read cache: `Cache-Control: no-cache` (or `no-store`). */
const bypasses = (cacheControl?: string) => /\bno-(cache|store)\b/i.test(cacheControl ?? '');

/** Calls a Flickr REST method for one of the caller's users. */
@ApiTags('flickr')
@Authenticated('client')
@Controller('v1/users/:user_id/flickr')
export class FlickrProxyController {
  constructor(private readonly proxy: FlickrProxyService) {}

  @Post(':method')
  @HttpCode(200)
  // The quota class is the method's (read/write/upload), so a burst of writes cannot spend the read quota.
  @RateLimitClassFrom((req) => flickrMethodPolicy(String((req.params as Record<string, string>)?.method))?.class ?? 'read')
  @ApiOperation({ summary: 'Call an allowlisted Flickr REST method as the user; the answer is Flickr\'s JSON' })
  @ApiBody({ required: false, schema: { type: 'object', additionalProperties: { type: 'string' }, example: { text: 'sunset', per_page: 10 } } })
  @ApiHeader({ name: 'Cache-Control', required: false, description: '`no-cache` bypasses the read cache' })
  @ApiOkResponse({ description: "Flickr's answer (`stat: ok` and the method's fields)", schema: { type: 'object', required: ['stat'], properties: { stat: { type: 'string', enum: ['ok'] } }, additionalProperties: true } })
  @ApiBadRequestResponse({ description: 'flickr-method-not-allowed, or validation-failed' })
  @ApiConflictResponse({ description: 'flickr-not-connected, or flickr-reauthorization-required (connection_state says which)' })
  @ApiNotFoundResponse({ description: 'no such user of this client' })
  @ApiResponse({ status: 502, description: 'flickr-error: Flickr failed (flickrCode, upstreamStatus)' })
  @ApiResponse({ status: 503, description: 'flickr-circuit-open or flickr-budget-exhausted (Retry-After), or a dependency is down' })
  @ApiResponse({ status: 504, description: 'flickr-error: Flickr did not answer in time' })
  @ApiResponse({ status: 422, description: 'flickr-error: Flickr refused the parameters (flickrCode)' })
  call(
    @CurrentPrincipal() principal: Principal,
    @Param() params: FlickrProxyParams,
    @Body() body: unknown,
    @Headers('cache-control') cacheControl?: string,
  ): Promise<FlickrAnswer> {
    return this.proxy.call({ clientId: principal.clientId, userId: params.user_id }, params.method, body, bypasses(cacheControl));
  }
}
