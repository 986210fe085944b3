import { Injectable } from '@nestjs/common';
import { InvalidationChannel } from '../redis/invalidation.channel';
import { RedisConfig } from '../redis/redis.config';
import { RedisConnectionFactory } from '../redis/redis.factory';

/** "Key X changed" between replicas: every replica forgets what it cached about the key (ApiKeyVerifier). */
@Injectable()
export class KeyInvalidationBus extends InvalidationChannel {
  constructor(factory: RedisConnectionFactory, config: RedisConfig) {
    super(factory, config, 'auth:key-changed', 'auth-invalidation');
  }
}
