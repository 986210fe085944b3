import { Injectable } from '@nestjs/common';

/**
 * Whether this process is draining. Set first on SIGTERM so readiness turns
 * 503 and load balancers stop sending traffic before the server closes.
 */
@Injectable()
export class ShutdownState {
  private drainingSince: Date | null = null;

  startDraining(): void {
    this.drainingSince ??= new Date();
  }

  get draining(): boolean {
    return this.drainingSince !== null;
  }
}
