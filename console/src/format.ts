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
