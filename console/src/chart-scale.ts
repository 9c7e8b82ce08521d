/**
 * The arithmetic of the console's bar charts (usage-chart.tsx), apart so it can be tested without a
 * page: the top of the value axis, where each bar goes, and the short numbers on the axis.
 */

/** The top of a value axis: the smallest 1, 2 or 5 × 10ⁿ at or above `max` (1 when nothing was used). */
export function niceCeiling(max: number): number {
  if (!(max > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 5, 10]) {
    const top = Number((step * power).toPrecision(12));
    if (top >= max) return top;
  }
  return Number((10 * power).toPrecision(12));
}

/** An axis label: `950`, `12.5k`, `3.2M`, `0.0005`; the exact value is in each bar's title. */
export function shortNumber(n: number): string {
  if (n >= 1e9) return `${Number((n / 1e9).toFixed(1))}G`;
  if (n >= 1e6) return `${Number((n / 1e6).toFixed(1))}M`;
  if (n >= 1e3) return `${Number((n / 1e3).toFixed(1))}k`;
  return String(Number(n.toPrecision(6)));
}

export interface Plot {
  /** The whole drawing, in SVG user units. */
  width: number;
  height: number;
  /** Room for the value axis' labels on the left, the day labels below, the peak's label above. */
  left: number;
  bottom: number;
  top: number;
}

export interface Bar {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** One bar per value, left to right, scaled to `ceiling` (the axis top); a zero is a bar of height 0. */
export function barsOf(values: readonly number[], ceiling: number, plot: Plot): Bar[] {
  const span = plot.width - plot.left;
  const floor = plot.height - plot.bottom;
  const room = floor - plot.top;
  const slot = values.length > 0 ? span / values.length : span;
  const width = Math.max(1, slot * 0.7);
  return values.map((value, i) => {
    const height = ceiling > 0 ? (Math.min(value, ceiling) / ceiling) * room : 0;
    return { x: round(plot.left + i * slot + (slot - width) / 2), y: round(floor - height), width: round(width), height: round(height) };
  });
}

const round = (n: number) => Math.round(n * 100) / 100;
