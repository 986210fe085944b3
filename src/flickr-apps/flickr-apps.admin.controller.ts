import { Body, Controller, Delete, Get, Param, Put } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Principal } from '../common/http/request-context';
import { Authenticated, CurrentPrincipal } from '../common/http/route-access';
import { ClientIdParams, FlickrAppRemovedResponse, FlickrAppResponse, FlickrAppSetResponse, PutFlickrAppDto } from './flickr-apps.dto';
import { FlickrAppsService } from './flickr-apps.service';

const actor = (p: Principal) => `admin-key:${p.keyId}`;

/** A client's own Flickr app; admin keys only. The consumer secret goes in, never out. */
@ApiTags('admin')
@Authenticated('admin')
@Controller('admin/clients/:client_id/flickr-app')
export class FlickrAppsAdminController {
  constructor(private readonly apps: FlickrAppsService) {}

  @Put()
  @ApiOperation({
    summary: "Give the client its own Flickr app, rotate its secret, or change its budget; another consumer key marks the client's connections for re-authorisation",
  })
  @ApiOkResponse({ type: FlickrAppSetResponse })
  put(@CurrentPrincipal() p: Principal, @Param() params: ClientIdParams, @Body() body: PutFlickrAppDto) {
    return this.apps.put(params.client_id, body, actor(p));
  }

  @Get()
  @ApiOperation({ summary: "The client's own Flickr app (no secret)" })
  @ApiOkResponse({ type: FlickrAppResponse })
  @ApiNotFoundResponse({ description: "the client uses the gateway's app" })
  get(@Param() params: ClientIdParams) {
    return this.apps.get(params.client_id);
  }

  @Delete()
  @ApiOperation({ summary: "Back to the gateway's app; the client's connections are marked for re-authorisation" })
  @ApiOkResponse({ type: FlickrAppRemovedResponse })
  @ApiNotFoundResponse({ description: 'the client has no app of its own' })
  remove(@CurrentPrincipal() p: Principal, @Param() params: ClientIdParams) {
    return this.apps.remove(params.client_id, actor(p));
  }
}
