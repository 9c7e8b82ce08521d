import type { ApiKey } from '../../lambdas/http/client';

/** `keys list` for people: an aligned table under a header, times in UTC to the minute, the name last (it may hold spaces). */
export function keyTable(list: ApiKey[]): string {
  if (list.length === 0) return 'no keys';
  const time = (iso: string | null) => (iso ? iso.slice(0, 16).replace('T', ' ') : 'never');
  const rows = [
    ['ID', 'START', 'TYPE', 'STATUS', 'EXPIRES (UTC)', 'LAST USED (UTC)', 'NAME'],
    ...list.map((k) => [k.id, `${k.start}…`, k.type, k.status, time(k.expiresAt), time(k.lastUsedAt), k.name]),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ')).join('\n');
}
