/** Where a {@link PeriodicTask} reports a failed pass. */
export interface PeriodicTaskLogger {
  warn(message: string): void;
}

/**
 * A background pass run every `intervalMs` that never overlaps itself: a tick that finds the
 * previous pass still running is skipped, and {@link stop} waits for a pass in progress (so a
 * shutdown does not close connections under it). A failed pass is logged and the next tick tries
 * again. The timer is unref'd: it never keeps a process alive. Shared by the worker's sweepers.
 */
export class PeriodicTask {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    private readonly name: string,
    private readonly intervalMs: number,
    private readonly pass: () => Promise<unknown>,
    private readonly logger: PeriodicTaskLogger,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.kick(), this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  private kick(): void {
    if (this.running) return;
    this.running = this.pass()
      .then(() => undefined)
      .catch((error: Error) => this.logger.warn(`${this.name} failed: ${error?.message ?? String(error)}`))
      .finally(() => (this.running = undefined));
  }
}
