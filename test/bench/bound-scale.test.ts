import { expect, it } from 'vitest';
import { boundScaleFor } from '../../bench/hot-partitions';

/** The hot account's binding run: its scale follows the machine (bench/hot-partitions.ts `boundScaleFor`). */
it('is a fiftieth on a machine that serves 320 calls/s or more, less on a slower one, so the 8 usage shards take half of what the CPU served', () => {
  expect(boundScaleFor(400)).toBe(0.02);
  expect(boundScaleFor(320)).toBe(0.02);
  expect(boundScaleFor(186)).toBe(0.0116);
  // 8 shards × 1,000 WCU × the scale = half the CPU-bound rate.
  expect(8 * 1000 * boundScaleFor(160)).toBeCloseTo(80, 5);
  expect(boundScaleFor(1)).toBe(0.001);
  expect(boundScaleFor(undefined)).toBe(0.02);
  expect(boundScaleFor(Number.NaN)).toBe(0.02);
});
