import { Body, Controller, Header, Headers, HttpCode, Param, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import { MatchesPipe } from '../common/http/matches.pipe';
import { Authenticated, CurrentPrincipal } from '../common/http/route-access';
import type { Principal } from '../common/http/request-context';
import { RateLimitClassFrom } from '../rate-limit/rate-limit.decorators';
import { flickrMethodClass, PROXIABLE_FLICKR_METHODS } from './flickr.methods';
import { FLICKR_CATALOGUE_ROUTE } from './flickr.errors';
import { FlickrProxyService } from './flickr-proxy.service';

const USER_ID = new MatchesPipe(/^[A-Za-z0-9._:-]{1,128}$/, 'user_id must be 1-128 of A-Z a-z 0-9 . _ : -');
const METHOD = new MatchesPipe(/^flickr(\.[A-Za-z]+){1,4}$/, 'method must look like flickr.photos.search');

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
  // The quota class is the catalogue's (read/write; deletes are writes), so a burst of writes cannot spend the read quota.
  @RateLimitClassFrom((req) => flickrMethodClass(String((req.params as Record<string, string>)?.method)))
  @ApiOperation({
    summary: "Call a Flickr REST method as the user; the answer is Flickr's JSON",
    description:
      `Every method of the catalogue (\`GET ${FLICKR_CATALOGUE_ROUTE}\`) except the few the gateway owns. The body holds the method's ` +
      'parameters: required ones must be present and unknown ones are refused, before anything is sent to Flickr. The user\'s ' +
      'connection must have granted the permission the method needs (delete ⊃ write ⊃ read).',
  })
  @ApiBody({
    required: false,
    schema: { type: 'object', additionalProperties: { oneOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }] }, example: { text: 'sunset', per_page: 10 } },
  })
  @ApiParam({ name: 'user_id', example: 'user-42', schema: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,128}$' } })
  @ApiParam({
    name: 'method',
    example: 'flickr.photos.search',
    schema: { type: 'string', enum: [...PROXIABLE_FLICKR_METHODS] },
    description: `A Flickr REST method; ${FLICKR_CATALOGUE_ROUTE} lists each with its permission, parameters and cache TTL.`,
  })
  @ApiHeader({ name: 'Cache-Control', required: false, description: '`no-cache` bypasses the read cache' })
  @ApiOkResponse({ description: "Flickr's answer (`stat: ok` and the method's fields)", schema: { type: 'object', required: ['stat'], properties: { stat: { type: 'string', enum: ['ok'] } }, additionalProperties: true } })
  @ApiBadRequestResponse({
    description: 'unknown-flickr-method, flickr-method-gateway-owned (reason), invalid-flickr-parameters (missing, unknown), or validation-failed',
  })
  @ApiForbiddenResponse({
    description:
      "flickr-permission-required: the user's connection lacks the method's permission (required_permission, reconnect); flickr-error: Flickr refused (code 99); " +
      'forbidden: wrong key role or address outside the key allowlist',
  })
  @ApiConflictResponse({ description: 'flickr-not-connected, or flickr-reauthorization-required (connection_state says which)' })
  @ApiNotFoundResponse({ description: 'no such user of this client' })
  @ApiResponse({ status: 502, description: 'flickr-error: Flickr failed (flickrCode, upstreamStatus)' })
  @ApiResponse({ status: 503, description: 'flickr-circuit-open or flickr-budget-exhausted (Retry-After), or a dependency is down' })
  @ApiResponse({ status: 504, description: 'flickr-error: Flickr did not answer in time' })
  @ApiResponse({ status: 422, description: 'flickr-error: Flickr refused the parameters (flickrCode)' })
  // Flickr's answer is already JSON bytes (served from the cache as stored): sent as is, not re-serialised.
  @Header('content-type', 'application/json; charset=utf-8')
  call(
    @CurrentPrincipal() principal: Principal,
    // Two pattern pipes, not a params DTO: see MatchesPipe (this is the hottest route).
    @Param('user_id', USER_ID) userId: string,
    @Param('method', METHOD) method: string,
    @Body() body: unknown,
    @Headers('cache-control') cacheControl?: string,
  ): Promise<Buffer> {
    return this.proxy.call({ clientId: principal.clientId, userId }, method, body, bypasses(cacheControl));
  }
}
