import type { Clock } from '../../lambdas/core/ports';

/**
 * The Clock port, real time plus an offset that tests move forward: "an hour later" without
 * waiting an hour. Never goes backwards; everything built on it (expiry, rate-limit windows,
 * rotation overlaps, caches) sees one consistent time.
 */
export class OffsetClock implements Clock {
  private offset = 0;

  now(): number {
    return Date.now() + this.offset;
  }

  advance(ms: number): void {
    this.offset += ms;
  }
}
