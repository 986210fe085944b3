import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomBytes } from 'node:crypto';
import { ApiKeyService, type IssuedApiKey, type NewApiKey } from '../../../src/auth/api-key.service';

/** Creates a key directly through the service (no admin key needed); returns it with its secrets. */
export async function createApiKey(app: NestFastifyApplication, overrides: Partial<NewApiKey> = {}): Promise<IssuedApiKey> {
  return app.get(ApiKeyService).create(
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
