import { Injectable, ServiceUnavailableException } from '@nestjs/common';
import { HealthCheckService, type HealthCheckResult, type HealthIndicatorFunction } from '@nestjs/terminus';
import { MongoHealthIndicator } from '../database/mongo.health';
import { ProblemException } from '../common/problem/problem.exception';
import { KmsHealthIndicator } from '../kms/kms.health';
import { RedisHealthIndicator } from '../redis/redis.health';
import { ShutdownState } from './shutdown.state';

export class NotReadyProblem extends ProblemException {
  constructor(detail: string, checks: Record<string, unknown>) {
    super('not-ready', 'Service Not Ready', 503, detail, { checks }, { 'retry-after': '5' });
  }
}

/** Composes the indicators that each module owns; holds no checks of its own. */
@Injectable()
export class HealthService {
  private readonly readinessChecks: HealthIndicatorFunction[];

  constructor(
    private readonly health: HealthCheckService,
    private readonly shutdown: ShutdownState,
    mongo: MongoHealthIndicator,
    redis: RedisHealthIndicator,
    kms: KmsHealthIndicator,
  ) {
    this.readinessChecks = [() => mongo.check(), () => redis.check(), () => kms.check()];
  }

  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  async ready(): Promise<HealthCheckResult> {
    if (this.shutdown.draining) {
      throw new NotReadyProblem('The process is shutting down.', { shutdown: { status: 'draining' } });
    }
    try {
      return await this.health.check(this.readinessChecks);
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      const result = error.getResponse() as HealthCheckResult;
      const failing = Object.keys(result.error ?? {});
      throw new NotReadyProblem(`Dependencies down: ${failing.join(', ')}.`, result.details);
    }
  }
}
