/**
 * The clock of the `clock +1y` test project (vitest.config.ts, through future-clock.setup.ts): every `Date` in the test file's
 * process reads a year and a day ahead of the wall clock, as the suite will when it runs next year.
 *
 * A test that hard-codes "now" (an ISO date it expects to be recent, a record it expects to be the
 * newest) passes today and fails once the calendar passes that date: issue 19 found one such test,
 * red on every fresh clone from the day its date went by. Running the time-sensitive files again
 * with the clock moved ahead makes that class fail today instead. Tests keep time relative to
 * `Date.now()` or to the Clock port (test/support/clock.ts), never to a written date.
 *
 * Only `Date` moves: timers, `performance.now()` and the embedded DynamoDB server's thread keep real
 * time, which nothing in the product compares with wall-clock dates.
 */
export const CLOCK_SHIFT_MS = 366 * 86_400_000;

/** Moves every later `Date` of this process CLOCK_SHIFT_MS ahead (once; called by future-clock.setup.ts). */
export function shiftClock(): void {
  const RealDate = Date;
  if ((RealDate as { shifted?: boolean }).shifted) return;

  class ShiftedDate extends RealDate {
    static shifted = true;

    constructor(...args: unknown[]) {
      if (args.length === 0) super(RealDate.now() + CLOCK_SHIFT_MS);
      else super(...(args as [string | number | Date]));
    }

    static override now(): number {
      return RealDate.now() + CLOCK_SHIFT_MS;
    }
  }

  // `Date()` called without `new` returns the current time as a string; keep that form too.
  globalThis.Date = new Proxy(ShiftedDate, { apply: () => new ShiftedDate().toString() }) as unknown as DateConstructor;
}
