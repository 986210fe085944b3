import { Module } from '@nestjs/common';
import { RateLimitStoreModule } from '../rate-limit/rate-limit-store.module';
import { FlickrApiService } from './flickr-api.service';
import { FlickrCache } from './flickr.cache';
import { FlickrClient } from './flickr.client';
import { FlickrUploadClient } from './flickr-upload.client';
import { FlickrMetrics, flickrMetricProviders } from './flickr.metrics';

/**
 * Talking to Flickr: the signed client (flickr-sdk), the read cache, and the
 * upstream protection (shared budget, circuit breaker, retries).
 */
@Module({
  imports: [RateLimitStoreModule],
  providers: [FlickrClient, FlickrCache, FlickrMetrics, ...flickrMetricProviders, FlickrApiService, FlickrUploadClient],
  exports: [FlickrApiService, FlickrClient, FlickrUploadClient],
})
export class FlickrModule {}
