import { Module } from '@nestjs/common';
import { FlickrAppsAdminController } from './flickr-apps.admin.controller';
import { FlickrAppsModule } from './flickr-apps.module';

/** The admin routes of per-client Flickr apps (API process only). */
@Module({
  imports: [FlickrAppsModule],
  controllers: [FlickrAppsAdminController],
})
export class FlickrAppsHttpModule {}
