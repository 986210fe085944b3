import { PeriodicTask } from '../../src/common/timers/periodic-task';

describe('PeriodicTask', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('never overlaps itself, logs a failed pass and goes on, and stop() waits for the pass in progress', async () => {
    const warnings: string[] = [];
    let passes = 0;
    let release!: () => void;
    let fail = false;
    const task = new PeriodicTask('test sweep', 1000, () => {
      passes++;
      if (fail) return Promise.reject(new Error('database down'));
      return new Promise<void>((r) => (release = r));
    }, { warn: (m) => warnings.push(m) });
    task.start();

    jest.advanceTimersByTime(1000);
    expect(passes).toBe(1);
    // Still running: three more ticks start nothing.
    jest.advanceTimersByTime(3000);
    expect(passes).toBe(1);

    let stopped = false;
    const stopping = task.stop().then(() => (stopped = true));
    await Promise.resolve();
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(stopped).toBe(true);
    // Stopped: no more passes.
    jest.advanceTimersByTime(5000);
    expect(passes).toBe(1);

    // A failing pass is logged, and the next tick runs again.
    const failing = new PeriodicTask('test sweep', 1000, () => (passes++, Promise.reject(new Error('database down'))), { warn: (m) => warnings.push(m) });
    fail = true;
    failing.start();
    jest.advanceTimersByTime(1000);
    await failing.stop();
    failing.start();
    jest.advanceTimersByTime(1000);
    await failing.stop();
    expect(passes).toBe(3);
    expect(warnings).toEqual(['test sweep failed: database down', 'test sweep failed: database down']);
  });
});
