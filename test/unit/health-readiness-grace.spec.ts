import { Test } from '@nestjs/testing';
import { HealthIndicatorService, TerminusModule } from '@nestjs/terminus';
import { MongoHealthIndicator } from '../../src/database/mongo.health';
import { HealthConfig } from '../../src/health/health.config';
import { HealthService, NotReadyProblem } from '../../src/health/health.service';
import { ReadinessGrace } from '../../src/health/readiness-grace';
import { ShutdownState } from '../../src/health/shutdown.state';
import { KmsHealthIndicator } from '../../src/kms/kms.health';
import { RedisHealthIndicator } from '../../src/redis/redis.health';
import { loadSlice } from '../../src/config/env.validation';

describe('ReadinessGrace', () => {
  let now = 0;
  const grace = () => new ReadinessGrace(10_000, () => now);

  beforeEach(() => (now = 1_000_000));

  it('reports a failing dependency as degraded until it has failed continuously for the grace, then down', () => {
    const g = grace();
    expect(g.observe('redis', 'down')).toEqual({ status: 'degraded', failingForMs: 0 });
    now += 9_999;
    expect(g.observe('redis', 'down')).toEqual({ status: 'degraded', failingForMs: 9_999 });
    now += 1;
    expect(g.observe('redis', 'down')).toEqual({ status: 'down', failingForMs: 10_000 });
    now += 60_000;
    expect(g.observe('redis', 'down').status).toBe('down');
  });

  it('one success ends the run of failures: the next failure starts a new grace', () => {
    const g = grace();
    g.observe('mongodb', 'down');
    now += 9_000;
    expect(g.observe('mongodb', 'up')).toEqual({ status: 'up' });
    now += 2_000;
    expect(g.observe('mongodb', 'down')).toEqual({ status: 'degraded', failingForMs: 0 });
    now += 9_000;
    expect(g.observe('mongodb', 'down').status).toBe('degraded');
  });

  it('counts each dependency on its own', () => {
    const g = grace();
    g.observe('redis', 'down');
    now += 10_000;
    expect(g.observe('mongodb', 'down').status).toBe('degraded');
    expect(g.observe('redis', 'down').status).toBe('down');
  });

  it('with a grace of 0, the first failure is down', () => {
    expect(new ReadinessGrace(0, () => now).observe('kms', 'down')).toEqual({ status: 'down', failingForMs: 0 });
  });
});

describe('HealthService with the grace', () => {
  /** Indicators whose verdicts the test sets; built with Terminus' own HealthIndicatorService. */
  async function serviceWith(graceMs: number, state: { redis: boolean }) {
    const moduleRef = await Test.createTestingModule({
      imports: [TerminusModule.forRoot({ logger: false })],
      providers: [
        HealthService,
        ShutdownState,
        { provide: HealthConfig, useValue: loadSlice(HealthConfig, { HEALTH_READY_FAILURE_GRACE_MS: String(graceMs) }) },
        {
          provide: RedisHealthIndicator,
          inject: [HealthIndicatorService],
          useFactory: (h: HealthIndicatorService) => ({
            check: () =>
              h.check('redis').attempt(() => {
                if (!state.redis) throw new Error('connection is reconnecting');
              }),
          }),
        },
        { provide: MongoHealthIndicator, inject: [HealthIndicatorService], useFactory: (h: HealthIndicatorService) => ({ check: () => h.check('mongodb').up() }) },
        { provide: KmsHealthIndicator, inject: [HealthIndicatorService], useFactory: (h: HealthIndicatorService) => ({ check: () => h.check('kms').up() }) },
      ],
    }).compile();
    return moduleRef.get(HealthService);
  }

  afterEach(() => jest.restoreAllMocks());

  it('stays ready (status degraded, the dependency named) within the grace, and fails after it; a success resets it', async () => {
    let now = 5_000_000;
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    const state = { redis: true };
    const health = await serviceWith(10_000, state);
    expect(await health.ready()).toMatchObject({ status: 'ok', details: { redis: { status: 'up' } } });

    state.redis = false;
    const during = await health.ready();
    expect(during).toMatchObject({ status: 'degraded', details: { redis: { status: 'degraded', failingForMs: 0, graceMs: 10_000, message: 'connection is reconnecting' } } });
    now += 9_999;
    expect((await health.ready()).status).toBe('degraded');

    now += 1;
    const refused = await health.ready().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(NotReadyProblem);
    expect((refused as NotReadyProblem).detail).toBe('Dependencies down: redis.');
    expect((refused as NotReadyProblem).extensions.checks).toMatchObject({ redis: { status: 'down', failingForMs: 10_000 }, mongodb: { status: 'up' } });

    state.redis = true;
    expect((await health.ready()).status).toBe('ok');
    state.redis = false;
    expect((await health.ready()).status).toBe('degraded');
  });

  it('with a grace of 0 the first failed check is not ready', async () => {
    const health = await serviceWith(0, { redis: false });
    await expect(health.ready()).rejects.toBeInstanceOf(NotReadyProblem);
  });

  it('draining is not subject to the grace', async () => {
    const moduleState = { redis: true };
    const health = await serviceWith(60_000, moduleState);
    // ShutdownState is a provider of the same module: reach it through the service's own instance.
    (health as unknown as { shutdown: ShutdownState }).shutdown.startDraining();
    await expect(health.ready()).rejects.toMatchObject({ slug: 'not-ready', detail: 'The process is shutting down.' });
  });
});
