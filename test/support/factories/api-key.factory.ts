import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomBytes } from 'node:crypto';
import { ApiKeyIssuer } from '../../../src/auth/api-key.issuer';
import type { IssuedApiKey, NewApiKey } from '../../../src/auth/api-key.view';

/** Creates a key directly through the service (no admin key needed); returns it with its secrets. */
export async function createApiKey(app: NestFastifyApplication, overrides: Partial<NewApiKey> = {}): Promise<IssuedApiKey> {
  return app.get(ApiKeyIssuer).create(
    {
      client_id: `client-${randomBytes(3).toString('hex')}`,
      name: 'test key',
      role: 'client',
      ...overrides,
    },
    'test-factory',
  );
}

/** Environment for auth tests: cheap bcrypt so tests stay fast. */
export const AUTH_TEST_ENV = { AUTH_BCRYPT_COST: '4' };
