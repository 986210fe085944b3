import { Module } from '@nestjs/common';
import { AdminModule } from './admin/admin.module';
import { RequestLogConfig } from './request-log/request-log.config';
import { RequestLogModule } from './request-log/request-log.module';
import { AuthConfig } from './auth/auth.config';
import { RequestPipelineModule } from './bootstrap/request-pipeline.module';
import { AppConfig } from './config/app.config';
import { AppConfigModule } from './config/app-config.module';
import { DatabaseModule } from './database/database.module';
import { MongoConfig } from './database/mongo.config';
import { FlickrConfig } from './flickr/flickr.config';
import { FlickrHttpModule } from './flickr/flickr-http.module';
import { FlickrAppsConfig } from './flickr-apps/flickr-apps.config';
import { FlickrAppsHttpModule } from './flickr-apps/flickr-apps-http.module';
import { OAuthConfig } from './oauth/oauth.config';
import { OAuthModule } from './oauth/oauth.module';
import { ConnectConfig } from './connect/connect.config';
import { ConnectModule } from './connect/connect.module';
import { HealthConfig } from './health/health.config';
import { HealthModule } from './health/health.module';
import { KmsConfig } from './kms/kms.config';
import { LoggingModule } from './logging/logging.module';
import { MetricsModule } from './metrics/metrics.module';
import { QueueModule } from './queue/queue.module';
import { RateLimitConfig } from './rate-limit/rate-limit.config';
import { RedisConfig } from './redis/redis.config';
import { RedisModule } from './redis/redis.module';
import { UsersConfig } from './users/users.config';
import { UsersHttpModule } from './users/users-http.module';
import { TokensModule } from './tokens/tokens.module';
import { UploadsConfig } from './uploads/uploads.config';
import { UploadsModule } from './uploads/uploads.module';
import { WebhooksConfig } from './webhooks/webhooks.config';
import { WebhooksHttpModule } from './webhooks/webhooks.module';

/** Every config slice; validated together at start-up so all problems are reported at once. */
export const CONFIG_SLICES = [AppConfig, MongoConfig, RedisConfig, KmsConfig, RateLimitConfig, AuthConfig, RequestLogConfig, FlickrConfig, FlickrAppsConfig, OAuthConfig, ConnectConfig, UploadsConfig, HealthConfig, UsersConfig, WebhooksConfig];

/** Modules both processes need. */
export const CORE_MODULES = [
  AppConfigModule.forRoot(CONFIG_SLICES),
  LoggingModule,
  DatabaseModule,
  RedisModule,
  QueueModule,
  HealthModule,
  MetricsModule,
  TokensModule,
];

/** The HTTP API process: public API under /v1, admin API under /admin. */
@Module({
  // RequestPipelineModule: the one global guard (authenticate, scope the user, rate-limit) of every route.
  imports: [...CORE_MODULES, RequestPipelineModule, RequestLogModule, UsersHttpModule, AdminModule, FlickrAppsHttpModule, FlickrHttpModule, OAuthModule, ConnectModule, UploadsModule, WebhooksHttpModule],
})
export class AppModule {}
