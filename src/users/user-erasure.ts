import { Injectable } from '@nestjs/common';
import type { ScopedUser } from './user.identity';

/**
 * One feature's part of erasing a user (cancel its queued uploads, drop its
 * pending OAuth requests, purge its cached Flickr answers...). Must be
 * idempotent: an erase that failed midway is simply repeated.
 */
export interface UserErasureStep {
  /** Named in the audit record of the erasure. */
  readonly name: string;
  eraseUser(user: ScopedUser): Promise<void>;
}

/**
 * The port through which features above `users` take part in an erasure
 * without `users` importing them: each registers its step at start-up.
 */
@Injectable()
export class UserErasure {
  private readonly steps: UserErasureStep[] = [];

  register(step: UserErasureStep): void {
    if (!this.steps.some((s) => s.name === step.name)) this.steps.push(step);
  }

  /** Runs every registered step in order; the first failure stops the erase (the caller retries it whole). */
  async run(user: ScopedUser): Promise<string[]> {
    for (const step of this.steps) await step.eraseUser(user);
    return this.steps.map((s) => s.name);
  }
}
