import { ConfigValidationError, validateEnvironment } from '../../src/config/env.validation';
import { KmsConfig } from '../../src/kms/kms.config';

function problemsOf(env: Record<string, string>): string[] {
  try {
    validateEnvironment(env, [KmsConfig]);
    return [];
  } catch (error) {
    return (error as ConfigValidationError).problems;
  }
}

describe('KmsConfig', () => {
  it('defaults to the local provider outside production', () => {
    expect(problemsOf({})).toEqual([]);
  });

  it('refuses the local provider in production unless the unsafe flag is set', () => {
    expect(problemsOf({ NODE_ENV: 'production' })).toEqual([
      'KMS_PROVIDER: local is refused in production (set KMS_LOCAL_ALLOW_IN_PRODUCTION_UNSAFE=true to override)',
    ]);
    expect(problemsOf({ NODE_ENV: 'production', KMS_LOCAL_ALLOW_IN_PRODUCTION_UNSAFE: 'true' })[0]).toMatch(/^KMS_LOCAL_KEYS: /);
    const key = Buffer.alloc(32, 1).toString('base64');
    expect(
      problemsOf({ NODE_ENV: 'production', KMS_LOCAL_ALLOW_IN_PRODUCTION_UNSAFE: 'true', KMS_LOCAL_KEYS: `fgw-user-tokens:1:${key}` }),
    ).toEqual([]);
  });

  it('requires Vault address and credentials in production', () => {
    expect(problemsOf({ NODE_ENV: 'production', KMS_PROVIDER: 'vault' }).sort()).toEqual([
      'VAULT_ADDR: must be set in production',
      'VAULT_TOKEN: must be set with VAULT_AUTH_METHOD=token',
    ]);
    expect(problemsOf({ NODE_ENV: 'production', KMS_PROVIDER: 'vault', VAULT_ADDR: 'https://v', VAULT_AUTH_METHOD: 'kubernetes' })).toEqual([
      'VAULT_K8S_ROLE: must be set with VAULT_AUTH_METHOD=kubernetes',
    ]);
  });
});
