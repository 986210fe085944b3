import { Injectable } from '@nestjs/common';
import { InvalidationChannel } from '../redis/invalidation.channel';
import { RedisConfig } from '../redis/redis.config';
import { RedisConnectionFactory } from '../redis/redis.factory';

/** "User <client_id>/<user_id> changed" (erased, connected, re-authorisation required) between replicas. */
@Injectable()
export class UserChangeBus extends InvalidationChannel {
  constructor(factory: RedisConnectionFactory, config: RedisConfig) {
    super(factory, config, 'users:changed', 'users-invalidation');
  }
}
