import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, MinLength } from 'class-validator';
import { ToBool, ToInt } from '../config/env.transforms';
import type { ConfigSlice } from '../config/env.validation';

/** Key management for the token vault (docs/security/encryption.md). */
export class KmsConfig implements ConfigSlice {
  /** vault (Vault/OpenBao transit; production) or local (master keys from env/file; dev and tests). */
  @IsIn(['vault', 'local'])
  KMS_PROVIDER: 'vault' | 'local' = 'local';

  /** Transit key that wraps the data keys of user OAuth tokens. */
  @Matches(/^[A-Za-z0-9_.-]+$/)
  KMS_KEY_USER_TOKENS = 'fgw-user-tokens';

  /** Transit key for app credentials (Flickr consumer secrets, API-key HMAC secrets). */
  @Matches(/^[A-Za-z0-9_.-]+$/)
  KMS_KEY_APP_CREDENTIALS = 'fgw-app-credentials';

  /** Most unwrapped data keys kept in memory per process. */
  @ToInt()
  @IsInt()
  @Min(0)
  @Max(100000)
  KMS_DATA_KEY_CACHE_MAX_ENTRIES = 1000;

  /** How long an unwrapped data key stays in memory (ms), for reading and for writing. */
  @ToInt()
  @IsInt()
  @Min(0)
  @Max(24 * 3600 * 1000)
  KMS_DATA_KEY_CACHE_TTL_MS = 5 * 60 * 1000;

  /** Records encrypted under one data key before a fresh one is requested. */
  @ToInt()
  @IsInt()
  @Min(1)
  KMS_DATA_KEY_MAX_USES = 100000;

  /** Age of the newest key version after which the schedule rotates the key (days). */
  @ToInt()
  @IsInt()
  @Min(1)
  KMS_ROTATION_INTERVAL_DAYS = 90;

  /** Whether this process checks key ages hourly and rotates + rewraps when due. */
  @ToBool()
  @IsBoolean()
  KMS_ROTATION_SCHEDULE_ENABLED = true;

  /** Records per transit rewrap call in the rewrap job. */
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(1000)
  KMS_REWRAP_BATCH_SIZE = 100;

  /** Serve /admin/kms/* (admin keys only); unset means on outside production. */
  @IsOptional()
  @ToBool()
  @IsBoolean()
  KMS_ADMIN_ROUTES_ENABLED?: boolean;

  /** Local provider keys: name:version:base64(32 bytes), comma-separated. Dev/test only. */
  @IsOptional()
  @IsString()
  KMS_LOCAL_KEYS?: string;

  /** Local provider key file (JSON {name: {version: base64}}); rotation writes new versions back to it. */
  @IsOptional()
  @IsString()
  @MinLength(1)
  KMS_LOCAL_KEYS_FILE?: string;

  /** Allows KMS_PROVIDER=local with NODE_ENV=production. Unsafe: master keys then live beside the app. */
  @ToBool()
  @IsBoolean()
  KMS_LOCAL_ALLOW_IN_PRODUCTION_UNSAFE = false;

  /** Vault or OpenBao address. */
  @Matches(/^https?:\/\/\S+$/, { message: 'must be an http:// or https:// URL' })
  VAULT_ADDR = 'http://127.0.0.1:8210';

  /** token or kubernetes. */
  @IsIn(['token', 'kubernetes'])
  VAULT_AUTH_METHOD: 'token' | 'kubernetes' = 'token';

  /** Vault token for VAULT_AUTH_METHOD=token. */
  @IsOptional()
  @IsString()
  VAULT_TOKEN?: string;

  /** Vault role for VAULT_AUTH_METHOD=kubernetes. */
  @IsOptional()
  @IsString()
  VAULT_K8S_ROLE?: string;

  /** Mount path of the Kubernetes auth method. */
  @IsString()
  @MinLength(1)
  VAULT_K8S_MOUNT = 'kubernetes';

  /** Service-account JWT presented to the Kubernetes auth method. */
  @IsString()
  @MinLength(1)
  VAULT_K8S_JWT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount/token';

  /** Vault Enterprise / OpenBao namespace (X-Vault-Namespace); empty for none. */
  @IsOptional()
  @IsString()
  VAULT_NAMESPACE?: string;

  /** PEM CA bundle used to verify Vault's TLS certificate. */
  @IsOptional()
  @IsString()
  VAULT_CA_FILE?: string;

  /** Mount path of the transit secrets engine. */
  @Matches(/^[A-Za-z0-9_./-]+$/)
  KMS_VAULT_TRANSIT_MOUNT = 'transit';

  /** Timeout of one Vault request (ms). */
  @ToInt()
  @IsInt()
  @Min(100)
  VAULT_REQUEST_TIMEOUT_MS = 5000;

  /** Retries of a Vault request that failed with 5xx or a network error. */
  @ToInt()
  @IsInt()
  @Min(0)
  @Max(10)
  VAULT_MAX_RETRIES = 2;

  /** Admin routes are on outside production unless switched off, and off in production unless switched on. */
  adminRoutesEnabled(nodeEnv: string | undefined): boolean {
    return this.KMS_ADMIN_ROUTES_ENABLED ?? nodeEnv !== 'production';
  }

  productionProblems(raw: Record<string, unknown>): string[] {
    const problems: string[] = [];
    if (this.KMS_PROVIDER === 'local') {
      if (!this.KMS_LOCAL_ALLOW_IN_PRODUCTION_UNSAFE) {
        problems.push('KMS_PROVIDER: local is refused in production (set KMS_LOCAL_ALLOW_IN_PRODUCTION_UNSAFE=true to override)');
      } else if (!this.KMS_LOCAL_KEYS && !this.KMS_LOCAL_KEYS_FILE) {
        problems.push('KMS_LOCAL_KEYS: must be set in production when KMS_PROVIDER=local (or KMS_LOCAL_KEYS_FILE)');
      }
    } else {
      if (!raw.VAULT_ADDR) problems.push('VAULT_ADDR: must be set in production');
      if (this.VAULT_AUTH_METHOD === 'token' && !this.VAULT_TOKEN) problems.push('VAULT_TOKEN: must be set with VAULT_AUTH_METHOD=token');
      if (this.VAULT_AUTH_METHOD === 'kubernetes' && !this.VAULT_K8S_ROLE) {
        problems.push('VAULT_K8S_ROLE: must be set with VAULT_AUTH_METHOD=kubernetes');
      }
    }
    return problems;
  }
}
