import { Module, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { MongooseModule } from '@nestjs/mongoose';
import { PassportModule } from '@nestjs/passport';
import { SecurityEventsModule } from '../security-events/security-events.module';
import { SecurityEvents } from '../security-events/security-events.service';
import { EnvelopeService } from '../kms/envelope.service';
import { KmsModule } from '../kms/kms.module';
import { ApiKeyRepository } from './api-key.repository';
import { API_KEY_MODEL, ApiKeySchema } from './api-key.schema';
import { ApiKeyService } from './api-key.service';
import { ApiKeyStrategy } from './api-key.strategy';
import { AuthConfig } from './auth.config';
import { AuthMetrics, authMetricProviders } from './auth.metrics';
import { ClientAuthGuard } from './client-auth.guard';
import { ClientIpResolver } from './client-ip.resolver';
import { HmacVerifier } from './hmac.verifier';
import { KeyInvalidationBus } from './key-invalidation.bus';
import { NonceStore } from './nonce.store';
import { registerRawBodyCapture } from './raw-body.hook';
import { RateLimitStoreModule } from '../rate-limit/rate-limit-store.module';

/** Client authentication (docs/authentication.md). Controllers opt in with @Authenticated(role). */
@Module({
  imports: [
    // Failed-authentication limiter (brute-force protection) for ClientAuthGuard.
    RateLimitStoreModule,
    PassportModule,
    KmsModule,
    SecurityEventsModule,
    MongooseModule.forFeature([{ name: API_KEY_MODEL, schema: ApiKeySchema }]),
  ],
  providers: [
    ApiKeyRepository,
    KeyInvalidationBus,
    NonceStore,
    AuthMetrics,
    ...authMetricProviders,
    ClientIpResolver,
    {
      provide: ApiKeyService,
      inject: [ApiKeyRepository, EnvelopeService, KeyInvalidationBus, SecurityEvents, AuthMetrics, AuthConfig],
      useFactory: (...deps: ConstructorParameters<typeof ApiKeyService>) => new ApiKeyService(...deps),
    },
    {
      provide: HmacVerifier,
      inject: [ApiKeyService, NonceStore, AuthConfig],
      useFactory: (keys: ApiKeyService, nonces: NonceStore, config: AuthConfig) => new HmacVerifier(keys, nonces, config),
    },
    ApiKeyStrategy,
    ClientAuthGuard,
  ],
  exports: [ApiKeyService, HmacVerifier, AuthMetrics, ClientIpResolver, ClientAuthGuard, SecurityEventsModule],
})
export class AuthModule implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    // Absent in standalone contexts (the CLI), where no request is ever parsed.
    const fastify = this.adapterHost.httpAdapter?.getInstance?.();
    if (fastify && typeof fastify.addHook === 'function') registerRawBodyCapture(fastify);
  }
}
