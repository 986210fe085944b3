import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { HeaderAPIKeyStrategy } from 'passport-headerapikey';
import { ApiKeyService } from './api-key.service';
import type { Principal } from './principal';

export const API_KEY_STRATEGY = 'api-key';

/** `X-API-Key: fgw_<id>_<secret>` through Passport; errors carry the failure reason to the guard. */
@Injectable()
export class ApiKeyStrategy extends PassportStrategy(HeaderAPIKeyStrategy, API_KEY_STRATEGY) {
  constructor(private readonly keys: ApiKeyService) {
    super({ header: 'X-API-Key', prefix: '' }, false);
  }

  validate(apiKey: string): Promise<Principal> {
    return this.keys.verifyApiKey(apiKey);
  }
}
