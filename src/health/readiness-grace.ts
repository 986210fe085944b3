/** What one indicator said in one readiness check. */
export type ObservedStatus = 'up' | 'down';

/** What readiness reports for it: `degraded` is down but still within the grace period (readiness stays 200). */
export interface GracedStatus {
  status: 'up' | 'degraded' | 'down';
  /** Milliseconds since the first failed check of this run of failures; absent while up. */
  failingForMs?: number;
}

/**
 * Remembers, per dependency, since when it has been failing without a successful check in between. A
 * dependency counts as down for readiness only once that run of failures is `graceMs` old; any success ends
 * the run. Pure state and a clock, so the rule is tested without servers.
 */
export class ReadinessGrace {
  private readonly failingSince = new Map<string, number>();

  constructor(
    private readonly graceMs: number,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** Records one observation of `name` and says how readiness should report it. */
  observe(name: string, observed: ObservedStatus): GracedStatus {
    if (observed === 'up') {
      this.failingSince.delete(name);
      return { status: 'up' };
    }
    const now = this.now();
    const since = this.failingSince.get(name) ?? now;
    this.failingSince.set(name, since);
    const failingForMs = now - since;
    return { status: failingForMs >= this.graceMs ? 'down' : 'degraded', failingForMs };
  }
}
