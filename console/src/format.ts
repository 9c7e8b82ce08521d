/** Dates as `2025-06-01 14:03 UTC`: the same for every viewer, sortable by eye. */
export function when(iso: string | null | undefined, never = '—'): string {
  if (!iso) return never;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return never;
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export const TYPE_BADGE: Record<string, string> = { privileged: 'Privileged', viewer: 'Viewer', system: 'System' };

/** A status in words (never colour alone); a disabled key reads as the console's verb for it. */
export function statusLabel(status: string): string {
  if (status === 'disabled') return 'Paused';
  return status.charAt(0).toUpperCase() + status.slice(1);
}

/** The truncated start a row shows (`archie_4fQa…`). */
export function truncated(start: string): string {
  return start.endsWith('…') ? start : `${start}…`;
}

/** `1 request`, `2 requests`, `0.5 credits`: the noun agrees with its number. */
export function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** A UTC day as people read it: `Mon 8 Dec` (with the year: `Mon 8 Dec 2026`). */
export function day(at: Date | string, withYear = false): string {
  const d = typeof at === 'string' ? new Date(/^\d{4}-\d{2}-\d{2}$/.test(at) ? `${at}T00:00:00Z` : at) : at;
  return `${WEEKDAYS[d.getUTCDay()]} ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]}${withYear ? ` ${d.getUTCFullYear()}` : ''}`;
}

/** When a budget's period ends: `resets Mon 8 Dec, 00:00 UTC`; a total budget never does. */
export function resetText(resetsAt: string | null): string {
  if (!resetsAt) return 'no reset';
  const d = new Date(resetsAt);
  return `resets ${day(d)}, ${d.toISOString().slice(11, 16)} UTC`;
}

/** Credits as the API keeps them (to 10⁻⁶), never in exponent notation. */
export function credits(n: number): string {
  const rounded = Math.round(n * 1e6) / 1e6;
  return rounded.toFixed(6).replace(/\.?0+$/, '');
}
