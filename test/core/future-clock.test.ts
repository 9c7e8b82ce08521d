import { describe, expect, it } from 'vitest';
import { CLOCK_SHIFT_MS } from '../support/future-clock';

/**
 * The guard against tests that depend on today's date (vitest.config.ts): this file runs in both
 * projects, and each must see the clock it promises. If the `clock +1y` project stopped moving
 * `Date` (its setup file dropped, the shift undone), every date-sensitive file would pass there
 * for nothing; this fails instead.
 */
describe('the test clock', () => {
  it('reads today in the "today" project and a year and a day ahead in "clock +1y"', ({ task }) => {
    const wall = performance.timeOrigin + performance.now();
    const shift = Date.now() - wall;
    const expected = task.file.projectName === 'clock +1y' ? CLOCK_SHIFT_MS : 0;
    expect(Math.abs(shift - expected)).toBeLessThan(60_000);
    expect(Math.abs(new Date().getTime() - Date.now())).toBeLessThan(60_000);
    expect(typeof Date()).toBe('string');
    // Dates given explicitly are never moved.
    expect(new Date('2026-01-01T00:00:00.000Z').toISOString()).toBe('2026-01-01T00:00:00.000Z');
  });
});
