import { describe, expect, it } from 'vitest';
import { budgetWords } from '../../console/src/budget-bar';
import { barsOf, niceCeiling, shortNumber } from '../../console/src/chart-scale';
import { credits, day, resetText } from '../../console/src/format';

/** The budget bar's words and the usage charts' arithmetic, without a browser (issue 21). */
describe('the budget bar in words', () => {
  it('says the share used, spent / credits in the period, and when it resets', () => {
    expect(budgetWords({ credits: 5, period: 'month', spent: 2, remaining: 3, resetsAt: '2027-01-01T00:00:00.000Z' })).toEqual({
      used: '40 % used',
      spent: '2 / 5 credits this month',
      reset: 'resets Fri 1 Jan, 00:00 UTC',
      percent: 40,
    });
    expect(budgetWords({ credits: 20, period: 'week', spent: 0, remaining: 20, resetsAt: '2026-12-07T00:00:00.000Z' }).reset).toBe('resets Mon 7 Dec, 00:00 UTC');
    expect(budgetWords({ credits: 3, period: 'total', spent: 3, remaining: 0, resetsAt: null })).toMatchObject({ used: '100 % used', spent: '3 / 3 credits in total', reset: 'no reset' });
  });

  it('never reads 0 % while something was spent, nor 100 % before all of it was', () => {
    expect(budgetWords({ credits: 1000, period: 'day', spent: 0.002, remaining: 999.998, resetsAt: '2026-12-07T00:00:00Z' })).toMatchObject({ used: 'under 1 % used', spent: '0.002 / 1000 credits today (UTC)' });
    expect(budgetWords({ credits: 1, period: 'day', spent: 0.999, remaining: 0.001, resetsAt: '2026-12-07T00:00:00Z' }).used).toBe('99 % used');
  });

  it('writes credits to 10⁻⁶, never in exponent notation, and days in UTC', () => {
    expect([credits(0.000001), credits(1e9), credits(0.1 + 0.2), credits(0)]).toEqual(['0.000001', '1000000000', '0.3', '0']);
    expect([day('2026-12-06'), day('2026-12-06', true), resetText('2026-12-07T23:30:00+01:00')]).toEqual(['Sun 6 Dec', 'Sun 6 Dec 2026', 'resets Mon 7 Dec, 22:30 UTC']);
  });
});

describe('the usage charts’ arithmetic', () => {
  it('tops the value axis at the next 1, 2 or 5 × 10ⁿ', () => {
    expect([0, 1, 3, 7, 10, 11, 240, 0.0003, 123456].map(niceCeiling)).toEqual([1, 1, 5, 10, 10, 20, 500, 0.0005, 200000]);
  });

  it('labels the axis in short numbers', () => {
    expect([0, 950, 12_500, 3_200_000, 2e9, 0.0005].map(shortNumber)).toEqual(['0', '950', '12.5k', '3.2M', '2G', '0.0005']);
  });

  it('draws one bar per day, left to right, as tall as its share of the axis', () => {
    const plot = { width: 140, height: 120, left: 40, bottom: 20, top: 0 };
    const bars = barsOf([0, 5, 10, 2.5], 10, plot);
    expect(bars).toHaveLength(4);
    expect(bars.map((b) => b.height)).toEqual([0, 50, 100, 25]);
    expect(bars.map((b) => b.y)).toEqual([100, 50, 0, 75]);
    expect(bars.map((b) => b.x)).toEqual([43.75, 68.75, 93.75, 118.75]);
    expect(bars.every((b) => b.width === 17.5)).toBe(true);
  });
});
