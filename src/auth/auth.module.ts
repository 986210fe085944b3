import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { PassportModule } from '@nestjs/passport';
import { SecurityEventsModule } from '../security-events/security-events.module';
import { SecurityEvents } from '../security-events/security-events.service';
import { KmsModule } from '../kms/kms.module';
import { ApiKeyAdmin } from './api-key.admin';
import { ApiKeyChanges } from './api-key.changes';
import { ApiKeyIssuer } from './api-key.issuer';
import { ApiKeyRepository } from './api-key.repository';
import { API_KEY_MODEL, ApiKeySchema } from './api-key.schema';
import { ApiKeyStrategy } from './api-key.strategy';
import { ApiKeyVerifier } from './api-key.verifier';
import { AuthConfig } from './auth.config';
import { AuthMetrics, authMetricProviders } from './auth.metrics';
import { ClientAuthenticator } from './client-authenticator';
import { HmacStrategy } from './hmac.strategy';
import { HmacVerifier } from './hmac.verifier';
import { KeyInvalidationBus } from './key-invalidation.bus';
import { NonceStore } from './nonce.store';
import { SigningSecretSealer } from './signing-secret.sealer';
import { RateLimitStoreModule } from '../rate-limit/rate-limit-store.module';

/**
 * Client authentication (docs/authentication.md): API keys, HMAC signatures, their administration. The
 * request pipeline calls ClientAuthenticator; routes declare their access with @Authenticated / @Public
 * (src/common/http/route-access.ts).
 */
@Module({
  imports: [
    // Failed-authentication limiter (brute-force protection) for ClientAuthenticator.
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
    SigningSecretSealer,
    // Factories: the services take an optional clock (and retry timing) that tests replace; Nest must not try to inject them.
    {
      provide: ApiKeyVerifier,
      inject: [ApiKeyRepository, SigningSecretSealer, KeyInvalidationBus, AuthMetrics, AuthConfig],
      useFactory: (...deps: ConstructorParameters<typeof ApiKeyVerifier>) => new ApiKeyVerifier(...deps),
    },
    {
      provide: ApiKeyChanges,
      inject: [ApiKeyVerifier, KeyInvalidationBus, SecurityEvents],
      useFactory: (...deps: ConstructorParameters<typeof ApiKeyChanges>) => new ApiKeyChanges(...deps),
    },
    {
      provide: ApiKeyIssuer,
      inject: [ApiKeyRepository, SigningSecretSealer, ApiKeyChanges, AuthConfig],
      useFactory: (...deps: ConstructorParameters<typeof ApiKeyIssuer>) => new ApiKeyIssuer(...deps),
    },
    {
      provide: ApiKeyAdmin,
      inject: [ApiKeyRepository, ApiKeyChanges],
      useFactory: (...deps: ConstructorParameters<typeof ApiKeyAdmin>) => new ApiKeyAdmin(...deps),
    },
    {
      provide: HmacVerifier,
      inject: [ApiKeyVerifier, NonceStore, AuthConfig],
      useFactory: (keys: ApiKeyVerifier, nonces: NonceStore, config: AuthConfig) => new HmacVerifier(keys, nonces, config),
    },
    ApiKeyStrategy,
    HmacStrategy,
    ClientAuthenticator,
  ],
  exports: [ApiKeyIssuer, ApiKeyAdmin, ApiKeyVerifier, ApiKeyChanges, HmacVerifier, AuthMetrics, ClientAuthenticator, SecurityEventsModule],
})
export class AuthModule {}
