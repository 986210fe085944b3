import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { KmsModule } from '../kms/kms.module';
import { SecurityEventsModule } from '../security-events/security-events.module';
import { UsersModule } from '../users/users.module';
import { FlickrAppCache } from './flickr-app.cache';
import { FlickrAppChangeBus } from './flickr-app-change.bus';
import { FlickrAppRepository } from './flickr-app.repository';
import { FLICKR_APP_MODEL, FlickrAppSchema } from './flickr-app.schema';
import { FlickrAppSealer } from './flickr-app.sealer';
import { FlickrAppsService } from './flickr-apps.service';

/**
 * Per-client Flickr apps: the `flickr_apps` records (secret sealed under the app-credentials key), the
 * per-replica cache of resolved apps and its invalidation channel. No routes: the worker signs uploads
 * with them too; the API adds FlickrAppsHttpModule.
 */
@Module({
  imports: [KmsModule, SecurityEventsModule, UsersModule, MongooseModule.forFeature([{ name: FLICKR_APP_MODEL, schema: FlickrAppSchema }])],
  providers: [FlickrAppRepository, FlickrAppSealer, FlickrAppChangeBus, FlickrAppCache, FlickrAppsService],
  exports: [FlickrAppsService],
})
export class FlickrAppsModule {}
