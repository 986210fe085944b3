import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { HeaderAPIKeyStrategy } from 'passport-headerapikey';
import { ApiKeyVerifier } from './api-key.verifier';
import type { Principal } from '../common/http/request-context';

export const API_KEY_STRATEGY = 'api-key';

/**
 * `X-API-Key: fgw_<id>_<secret>` through Passport; errors carry the failure reason to the guard.
 * Inside ClientAuthenticator the key was already parsed and hashed (ApiKeyVerifier.withIdentified): not again here.
 */
@Injectable()
export class ApiKeyStrategy extends PassportStrategy(HeaderAPIKeyStrategy, API_KEY_STRATEGY) {
  constructor(private readonly keys: ApiKeyVerifier) {
    super({ header: 'X-API-Key', prefix: '' }, false);
  }

  validate(apiKey: string): Promise<Principal> {
    return this.keys.verifyApiKey(apiKey);
  }
}
