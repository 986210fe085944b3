import { Module } from '@nestjs/common';
import { FlickrAppsModule } from '../flickr-apps/flickr-apps.module';
import { RateLimitStoreModule } from '../rate-limit/rate-limit-store.module';
import { FlickrApiService } from './flickr-api.service';
import { FlickrAppResolver } from './flickr-app.resolver';
import { FlickrCache } from './flickr.cache';
import { FlickrLocalCache } from './flickr-local.cache';
import { FlickrClient } from './flickr.client';
import { FlickrUploadClient } from './flickr-upload.client';
import { FlickrMetrics, flickrMetricProviders } from './flickr.metrics';

/**
 * Talking to Flickr: the signed client (flickr-sdk), the read cache, and the
 * upstream protection (shared budget, circuit breaker, retries), and which
 * Flickr app (the client's own or the gateway's) each client's exchanges use.
 */
@Module({
  imports: [RateLimitStoreModule, FlickrAppsModule],
  providers: [FlickrClient, FlickrCache, FlickrLocalCache, FlickrMetrics, ...flickrMetricProviders, FlickrApiService, FlickrUploadClient, FlickrAppResolver],
  exports: [FlickrApiService, FlickrClient, FlickrUploadClient, FlickrAppResolver],
})
export class FlickrModule {}
