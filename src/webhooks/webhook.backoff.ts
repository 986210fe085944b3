/**
 * The wait before the next attempt after the `failures`-th failed attempt of a round (1-based): "full jitter",
 * a uniformly random time in [0, min(cap, base · 2^(failures-1))], so receivers coming back from an outage are
 * not hit by every sender at the same instant. The horizon (when to give up) is counted separately, in time.
 */
export function webhookRetryDelay(failures: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(Math.max(failures - 1, 0), 40));
  return Math.floor(random() * ceiling);
}
