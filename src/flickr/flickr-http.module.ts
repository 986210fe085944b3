import { Module } from '@nestjs/common';
import { UsersModule } from '../users/users.module';
import { FlickrModule } from './flickr.module';
import { FlickrCatalogueController } from './flickr-catalogue.controller';
import { FlickrProxyController } from './flickr-proxy.controller';
import { FlickrProxyService } from './flickr-proxy.service';

/** The Flickr proxy route and its method catalogue (API process only; the worker uses FlickrModule directly). */
@Module({
  imports: [FlickrModule, UsersModule],
  controllers: [FlickrProxyController, FlickrCatalogueController],
  providers: [FlickrProxyService],
})
export class FlickrHttpModule {}
