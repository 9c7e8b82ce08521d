import { barsOf, niceCeiling, shortNumber, type Plot } from './chart-scale';
import { day } from './format';

export interface Point {
  /** A UTC day, `2026-12-06`. */
  date: string;
  value: number;
}

interface Props {
  /** What is counted, as a caption: `Requests per day`. */
  caption: string;
  points: Point[];
  /** A value in words, for the titles and the summary: `3 requests`, `0.25 credits`. */
  words: (n: number) => string;
  /** Unique on the page: names the caption and summary for the chart's accessible name. */
  id: string;
  testId?: string;
}

const PLOT: Plot = { width: 320, height: 160, left: 40, bottom: 22, top: 18 };

/**
 * One bar chart of a value per day, in SVG. Readable without colour: one series (no legend to
 * match), the value axis labelled at 0, half and top, the first and last day named under the axis,
 * the peak labelled on its bar, and every bar carrying its day and value as a `<title>` (a tooltip).
 * For assistive technology the drawing is one image named by its caption and a summary in words
 * (total, busiest day); the day-by-day values are in the panel's table (usage-panel.tsx).
 */
export function UsageChart({ caption, points, words, id, testId }: Props) {
  const values = points.map((p) => p.value);
  const max = Math.max(0, ...values);
  const ceiling = niceCeiling(max);
  const bars = barsOf(values, ceiling, PLOT);
  const floor = PLOT.height - PLOT.bottom;
  const peak = max > 0 ? values.indexOf(max) : -1;
  const total = values.reduce((a, b) => a + b, 0);
  const summary =
    points.length === 0
      ? 'No days to show.'
      : `${words(Number(total.toPrecision(12)))} in ${points.length} days${peak >= 0 ? `; the busiest, ${day(points[peak]!.date)}: ${words(max)}` : ''}.`;
  const ticks = [0, ceiling / 2, ceiling];
  return (
    <figure class="chart" data-testid={testId}>
      <figcaption id={`${id}-caption`}>{caption}</figcaption>
      <svg class="chart-svg" viewBox={`0 0 ${PLOT.width} ${PLOT.height}`} role="img" aria-labelledby={`${id}-caption ${id}-summary`}>
        {ticks.map((tick) => {
          const y = floor - (tick / ceiling) * (floor - PLOT.top);
          return (
            <g class="tick" key={tick}>
              <line class="grid" x1={PLOT.left} x2={PLOT.width} y1={y} y2={y} />
              <text class="axis-label" x={PLOT.left - 4} y={y + 3} text-anchor="end">
                {shortNumber(tick)}
              </text>
            </g>
          );
        })}
        {bars.map((bar, i) => (
          <g class="day" key={points[i]!.date}>
            <title>{`${day(points[i]!.date, true)}: ${words(values[i]!)}`}</title>
            {/* The whole column answers the pointer, so a day without calls has its tooltip too. */}
            <rect class="hit" x={bar.x} y={PLOT.top} width={bar.width} height={floor - PLOT.top} />
            <rect class="bar" x={bar.x} y={bar.y} width={bar.width} height={bar.height} />
          </g>
        ))}
        {peak >= 0 ? (
          <text class="peak-label" x={bars[peak]!.x + bars[peak]!.width / 2} y={bars[peak]!.y - 4} text-anchor="middle">
            {shortNumber(max)}
          </text>
        ) : null}
        <line class="axis" x1={PLOT.left} x2={PLOT.width} y1={floor} y2={floor} />
        {points.length > 0 ? (
          <>
            <text class="axis-label" x={PLOT.left} y={PLOT.height - 6} text-anchor="start">
              {day(points[0]!.date)}
            </text>
            <text class="axis-label" x={PLOT.width} y={PLOT.height - 6} text-anchor="end">
              {day(points[points.length - 1]!.date)}
            </text>
          </>
        ) : null}
      </svg>
      <p class="small muted" id={`${id}-summary`}>
        {summary}
      </p>
    </figure>
  );
}
