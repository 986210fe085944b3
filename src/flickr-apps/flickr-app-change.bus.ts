import { Injectable } from '@nestjs/common';
import { InvalidationChannel } from '../redis/invalidation.channel';
import { RedisConfig } from '../redis/redis.config';
import { RedisConnectionFactory } from '../redis/redis.factory';

/** "Client <client_id>'s Flickr app changed" (set, rotated, removed) between replicas. */
@Injectable()
export class FlickrAppChangeBus extends InvalidationChannel {
  constructor(factory: RedisConnectionFactory, config: RedisConfig) {
    super(factory, config, 'flickr-apps:changed', 'flickr-apps-invalidation');
  }
}
