import { Injectable, ServiceUnavailableException } from '@nestjs/common';
import {
  HealthCheckService,
  type HealthCheckResult,
  type HealthIndicatorFunction,
  type HealthIndicatorResult,
} from '@nestjs/terminus';
import { MongoHealthIndicator } from '../database/mongo.health';
import { ProblemException } from '../common/problem/problem.exception';
import { KmsHealthIndicator } from '../kms/kms.health';
import { RedisHealthIndicator } from '../redis/redis.health';
import { HealthConfig } from './health.config';
import { ReadinessGrace } from './readiness-grace';
import { ShutdownState } from './shutdown.state';

export class NotReadyProblem extends ProblemException {
  constructor(detail: string, checks: Record<string, unknown>) {
    super('not-ready', 'Service Not Ready', 503, detail, { checks }, { 'retry-after': '5' });
  }
}

/**
 * Composes the indicators that each module owns; holds no checks of its own. A failing dependency fails
 * readiness only after HEALTH_READY_FAILURE_GRACE_MS of continuous failure (reported `degraded` until then),
 * so a blip of a dependency every replica shares does not empty the Service at once.
 */
@Injectable()
export class HealthService {
  private readonly readinessChecks: HealthIndicatorFunction[];
  private readonly grace: ReadinessGrace;

  constructor(
    private readonly health: HealthCheckService,
    private readonly shutdown: ShutdownState,
    private readonly config: HealthConfig,
    mongo: MongoHealthIndicator,
    redis: RedisHealthIndicator,
    kms: KmsHealthIndicator,
  ) {
    this.grace = new ReadinessGrace(config.HEALTH_READY_FAILURE_GRACE_MS);
    this.readinessChecks = [
      this.graced('mongodb', () => mongo.check()),
      this.graced('redis', () => redis.check()),
      this.graced('kms', () => kms.check()),
    ];
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

  /** Runs one indicator and passes its verdict through the grace period. */
  private graced(name: string, check: () => PromiseLike<HealthIndicatorResult> | HealthIndicatorResult): HealthIndicatorFunction {
    return async () => {
      let result: HealthIndicatorResult;
      try {
        result = await check();
      } catch (error) {
        result = { [name]: { status: 'down', message: (error as Error).message } };
      }
      const out: HealthIndicatorResult = {};
      for (const [key, value] of Object.entries(result)) {
        const verdict = this.grace.observe(key, value.status === 'down' ? 'down' : 'up');
        out[key] =
          verdict.status === 'up'
            ? value
            : { ...value, status: verdict.status, failingForMs: verdict.failingForMs, graceMs: this.config.HEALTH_READY_FAILURE_GRACE_MS };
      }
      return out;
    };
  }
}
