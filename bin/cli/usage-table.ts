import { roundCredits } from '../../lambdas/core/credits';
import type { CallOutput } from '../../lambdas/http/client';

/**
 * `usage` for people: one line per UTC day (oldest first, today last) under a header, numbers
 * right-aligned, then the total over the days shown.
 */
export function usageTable(daily: CallOutput<'dailyUsage'>): string {
  const total = daily.data.reduce(
    (sum, day) => ({ requests: sum.requests + day.requests, tokens: sum.tokens + day.tokens, credits: roundCredits(sum.credits + day.credits) }),
    { requests: 0, tokens: 0, credits: 0 },
  );
  const rows = [
    ['DATE (UTC)', 'REQUESTS', 'TOKENS', 'CREDITS'],
    ...daily.data.map((day) => [day.date, String(day.requests), String(day.tokens), String(day.credits)]),
    ['total', String(total.requests), String(total.tokens), String(total.credits)],
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const whose = daily.keyId ? `key ${daily.keyId}` : `account ${daily.accountId}`;
  const lines = rows.map((row) => row.map((cell, column) => (column === 0 ? cell.padEnd(widths[0]!) : cell.padStart(widths[column]!))).join('  '));
  return [`${whose}, last ${daily.data.length} day${daily.data.length === 1 ? '' : 's'}`, ...lines].join('\n');
}
