import { Logger, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { SecurityEventsModule } from '../security-events/security-events.module';
import { AppConfig } from '../config/app.config';
import { EnvelopeService } from './envelope.service';
import { KeyRotationService } from './key-rotation.service';
import { KmsConfig } from './kms.config';
import { KmsHealthIndicator } from './kms.health';
import { KmsProvider } from './kms.provider';
import { LocalKmsProvider } from './local.kms-provider';
import { meterKmsProvider } from './metered.kms-provider';
import { VaultTransitKmsProvider } from './vault-transit.kms-provider';

/** Builds the configured provider. Exported for the CLI and the benchmark. */
export function createKmsProvider(config: KmsConfig, app: Pick<AppConfig, 'NODE_ENV'>): KmsProvider {
  if (config.KMS_PROVIDER === 'vault') {
    return new VaultTransitKmsProvider({
      endpoint: config.VAULT_ADDR,
      transitMount: config.KMS_VAULT_TRANSIT_MOUNT,
      auth:
        config.VAULT_AUTH_METHOD === 'kubernetes'
          ? { method: 'kubernetes', role: config.VAULT_K8S_ROLE ?? '', mount: config.VAULT_K8S_MOUNT, jwtPath: config.VAULT_K8S_JWT_PATH }
          : { method: 'token', token: config.VAULT_TOKEN ?? '' },
      namespace: config.VAULT_NAMESPACE,
      caFile: config.VAULT_CA_FILE,
      timeoutMs: config.VAULT_REQUEST_TIMEOUT_MS,
      maxRetries: config.VAULT_MAX_RETRIES,
    });
  }
  if (!config.KMS_LOCAL_KEYS && !config.KMS_LOCAL_KEYS_FILE && app.NODE_ENV !== 'test') {
    new Logger('KmsModule').warn(
      'KMS_PROVIDER=local without KMS_LOCAL_KEYS: using random in-memory master keys; encrypted tokens are lost on restart',
    );
  }
  return LocalKmsProvider.fromConfig(config.KMS_LOCAL_KEYS, config.KMS_LOCAL_KEYS_FILE);
}

/** Key management: the provider (inject `KmsProvider`), envelope encryption, rotation rules, readiness. */
@Module({
  imports: [TerminusModule, SecurityEventsModule],
  providers: [
    {
      provide: KmsProvider,
      inject: [KmsConfig, AppConfig],
      useFactory: (config: KmsConfig, app: AppConfig) => meterKmsProvider(createKmsProvider(config, app)),
    },
    {
      provide: EnvelopeService,
      inject: [KmsProvider, KmsConfig],
      useFactory: (kms: KmsProvider, config: KmsConfig) => new EnvelopeService(kms, config),
    },
    KeyRotationService,
    KmsHealthIndicator,
  ],
  exports: [KmsProvider, EnvelopeService, KeyRotationService, KmsHealthIndicator, SecurityEventsModule],
})
export class KmsModule {}
