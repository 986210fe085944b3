import { loadSlice } from '../../src/config/env.validation';
import { KmsConfig } from '../../src/kms/kms.config';

/**
 * Points this test file at the real OpenBao that global setup started
 * (scripts/openbao.sh via dev-services.sh), with transit keys of its own so
 * files rotating keys in parallel never disturb each other.
 */
export function useOpenBao(suffix: string): Record<string, string> {
  const env = {
    KMS_PROVIDER: 'vault',
    VAULT_ADDR: process.env.FGW_TEST_VAULT_ADDR ?? 'http://127.0.0.1:8210',
    VAULT_TOKEN: process.env.FGW_TEST_VAULT_TOKEN ?? 'dev-root-token',
    KMS_VAULT_TRANSIT_MOUNT: process.env.FGW_TEST_KMS_VAULT_TRANSIT_MOUNT ?? 'transit',
    KMS_KEY_USER_TOKENS: `test-user-tokens-${suffix}`,
    KMS_KEY_APP_CREDENTIALS: `test-app-credentials-${suffix}`,
    KMS_ROTATION_SCHEDULE_ENABLED: 'false',
  };
  Object.assign(process.env, env);
  return env;
}

/** POSTs to an OpenBao's HTTP API (optionally inside a namespace), failing the test on an error. */
export async function vaultPost(
  path: string,
  body: unknown,
  opts: { namespace?: string; config?: KmsConfig } = {},
): Promise<void> {
  const config = opts.config ?? loadSlice(KmsConfig, process.env);
  const res = await fetch(`${config.VAULT_ADDR}/v1/${path}`, {
    method: 'POST',
    headers: {
      'x-vault-token': config.VAULT_TOKEN ?? '',
      'content-type': 'application/json',
      ...(opts.namespace ? { 'x-vault-namespace': opts.namespace } : {}),
    },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`);
}

/** Creates the file's transit keys (transit would also create them on first use, but not for `datakey`). */
export async function createTransitKeys(config: KmsConfig = loadSlice(KmsConfig, process.env)): Promise<void> {
  for (const name of [config.KMS_KEY_USER_TOKENS, config.KMS_KEY_APP_CREDENTIALS]) {
    await vaultPost(`${config.KMS_VAULT_TRANSIT_MOUNT}/keys/${name}`, { type: 'aes256-gcm96' }, { config });
  }
}
