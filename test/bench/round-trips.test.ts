import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { criticalStorageWalls, sequentialSteps, type RoundTripCounter } from '../../bench/round-trips';

/** A counter holding `spans` as they were recorded (after-answer flags alongside). */
function counterOf(spans: [number, number][], afterAnswer: boolean[] = spans.map(() => false)): RoundTripCounter {
  return { total: spans.length, ms: 0, commands: spans.map(() => 'UpdateItem'), afterAnswer, msBeforeAnswer: 0, spans, reset() {} };
}

describe('bench: the storage time on the critical path', () => {
  it('counts calls side by side once, gaps not at all, and leaves out calls made after the answer', () => {
    const spans: [number, number][] = [
      [0, 1], // a request's two calls side by side …
      [0.2, 1.2],
      [5, 6], // … the next request's, and its after-answer call overlapping them
      [5.5, 9],
    ];
    const walls = criticalStorageWalls(counterOf(spans, [false, false, false, true]));
    expect(walls).toHaveLength(2);
    expect(walls[0]).toBeCloseTo(1.2, 9);
    expect(walls[1]).toBeCloseTo(1, 9);
    expect(sequentialSteps(spans.slice(0, 3))).toBe(2);
  });

  it('adds up to no more than the summed call times and no less than the longest call (property)', () => {
    const span = fc.tuple(fc.double({ min: 0, max: 100, noNaN: true }), fc.double({ min: 0, max: 10, noNaN: true })).map(([start, length]) => [start, start + length] as [number, number]);
    fc.assert(
      fc.property(fc.array(span, { maxLength: 30 }), (spans) => {
        const walls = criticalStorageWalls(counterOf(spans));
        const wall = walls.reduce((total, w) => total + w, 0);
        expect(walls.length).toBeLessThanOrEqual(spans.length);
        const sum = spans.reduce((total, [start, stop]) => total + (stop - start), 0);
        const longest = Math.max(0, ...spans.map(([start, stop]) => stop - start));
        expect(wall).toBeLessThanOrEqual(sum + 1e-9);
        expect(wall).toBeGreaterThanOrEqual(longest - 1e-9);
      }),
    );
  });
});
