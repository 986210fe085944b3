import { Injectable } from '@nestjs/common';
import { InvalidationChannel } from '../redis/invalidation.channel';
import { RedisConfig } from '../redis/redis.config';
import { RedisConnectionFactory } from '../redis/redis.factory';

/** "Client <client_id>'s connect settings changed" between replicas. */
@Injectable()
export class ConnectSettingsChangeBus extends InvalidationChannel {
  constructor(factory: RedisConnectionFactory, config: RedisConfig) {
    super(factory, config, 'connect-settings:changed', 'connect-settings-invalidation');
  }
}
