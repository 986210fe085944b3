import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Authenticated } from '../common/http/route-access';
import { catalogueListing, type FlickrCatalogueListing } from './flickr.methods';
import { FlickrConfig } from './flickr.config';

class FlickrCatalogueParamView {
  @ApiProperty({ example: 'photo_id' }) name!: string;
  @ApiProperty() required!: boolean;
  @ApiProperty({ example: 'The id of the photo to fetch information for.' }) description!: string;
}

class FlickrCatalogueMethodView {
  @ApiProperty({ example: 'flickr.photos.getSizes' }) name!: string;
  @ApiProperty() description!: string;
  @ApiProperty({ enum: ['none', 'read', 'write', 'delete'], description: 'permission the user must have granted when connecting' })
  permission!: string;
  @ApiProperty({ enum: ['read', 'write'], description: 'rate-limit class (deletes count as writes); reads are cached and retried' })
  class!: string;
  @ApiProperty({ description: 'repeating the call leaves the same state as doing it once' }) idempotent!: boolean;
  @ApiProperty({ example: 300, description: 'seconds a read answer is cached per user and parameters; 0 = never' })
  cacheTtlSeconds!: number;
  @ApiProperty({ description: 'false for the methods the gateway owns and never proxies (see gatewayOwned)' }) proxied!: boolean;
  @ApiPropertyOptional({ description: 'why the gateway never proxies this method' }) gatewayOwned?: string;
  @ApiProperty({ type: [FlickrCatalogueParamView] }) params!: FlickrCatalogueParamView[];
}

class FlickrCatalogueView {
  @ApiProperty({ example: '7.1.0', description: 'the flickr-sdk release the catalogue was generated from' }) sdkVersion!: string;
  @ApiProperty({ type: [FlickrCatalogueMethodView] }) methods!: FlickrCatalogueMethodView[];
}

/** The Flickr method catalogue, for clients and SDKs to discover what the proxy serves. */
@ApiTags('flickr')
@Authenticated('client')
@Controller('v1/flickr')
export class FlickrCatalogueController {
  private readonly listing: { sdkVersion: string; methods: FlickrCatalogueListing[] };

  constructor(config: FlickrConfig) {
    // Static for the life of the process (the catalogue is checked in; overrides are start-up config).
    this.listing = catalogueListing(config.FLICKR_CACHE_TTL_OVERRIDES);
  }

  @Get('methods')
  @Header('Cache-Control', 'private, max-age=3600')
  @ApiOperation({
    summary: 'The Flickr REST methods: permission, class, parameters, cache TTL; gateway-owned ones marked',
    description: 'Call a method with `POST /v1/users/{user_id}/flickr/{method}`. Methods with `proxied: false` are refused (400 flickr-method-gateway-owned).',
  })
  @ApiOkResponse({ type: FlickrCatalogueView })
  list(): FlickrCatalogueView {
    return this.listing;
  }
}
