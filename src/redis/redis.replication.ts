import { Injectable } from '@nestjs/common';
import { Command, type Redis } from 'ioredis';
import { ProblemException } from '../common/problem/problem.exception';
import { RedisConfig } from './redis.config';

/** A durable write could not be confirmed on enough Redis replicas in time; nothing was accepted. */
export class NotReplicatedProblem extends ProblemException {
  constructor(retryAfterS: number) {
    super(
      'not-replicated',
      'Write Not Replicated',
      503,
      'The request could not be stored durably right now (Redis replicas did not confirm it); nothing was accepted. Retry later.',
      { retryAfterSeconds: retryAfterS },
      { 'retry-after': String(retryAfterS) },
    );
  }
}

/**
 * Redis adapter: confirms with WAIT that the writes a client made so far reached REDIS_WAIT_REPLICAS
 * replicas. Redis replication is asynchronous, so without this a master that dies right after a write
 * can take it along, and Sentinel promotes a replica that never saw it.
 */
@Injectable()
export class RedisReplication {
  constructor(private readonly config: RedisConfig) {}

  /** True when no replica is required, or when enough replicas acknowledged within REDIS_WAIT_TIMEOUT_MS. */
  async confirm(client: Redis): Promise<boolean> {
    const wanted = this.config.REDIS_WAIT_REPLICAS;
    if (wanted === 0) return true;
    // WAIT covers every earlier write of this connection, the caller's included. It blocks on purpose for up to
    // REDIS_WAIT_TIMEOUT_MS, which may be longer than the connection's REDIS_COMMAND_TIMEOUT_MS: this command gets
    // its own client-side limit (ioredis keeps the first timeout set on a command), the wait plus one command timeout.
    const wait = new Command('wait', [wanted, this.config.REDIS_WAIT_TIMEOUT_MS]);
    wait.setTimeout(this.config.REDIS_WAIT_TIMEOUT_MS + this.config.REDIS_COMMAND_TIMEOUT_MS);
    const acked = Number(await client.sendCommand(wait));
    return acked >= wanted;
  }
}
