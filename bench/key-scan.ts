/**
 * `npx tsx bench/key-scan.ts`: what the one key scanner (lambdas/core/key-scan.ts) costs on the
 * hot path — every request's query string and id slots — and on text built to make it slow. Prints
 * microseconds per call on 2 KB inputs; it never fails for being slow (target: well under 100 µs).
 */
import { performance } from 'node:perf_hooks';
import { generateKey } from '../lambdas/core/key-format';
import { findKeysInText } from '../lambdas/core/key-scan';
import { redactKeys } from '../lambdas/core/redact-keys';
import { refuseKeysInQuery } from '../lambdas/http/key-in-url';

const SIZE = 2048;
const fill = (unit: string) => unit.repeat(Math.ceil(SIZE / unit.length)).slice(0, SIZE);
const key = generateKey();

const inputs: Record<string, string> = {
  'query: names, dates, a cursor': fill('search=deploy key for ci&since=2026-01-01T00:00:00Z&cursor=eyJwayI6InByb2plY3QjcHJqXzEyMyJ9&status=active&'),
  'key-shaped runs after every _': fill('abcdefghijkl_ABCDEFGHIJKLMNOPQRSTUVWXYZab&'),
  'snake_case words': fill('a_very_long_snake_case_identifier_that_goes_on&'),
  'non-ASCII, zero-width, escapes': fill('search=caf\u00e9\u200b%E2%80%8B&n=\u00fc_ber&x=%5F_&'),
  'spaces only': ' '.repeat(SIZE),
  'spaces around line breaks': fill('     \n     '),
  'HTML tags and entities': fill('<p class="x"><b>ab_</b>&#8203;&amp;<br/></p>'),
  'a disguised key in filler': `${fill('x ').slice(0, SIZE - 60)}${key.slice(0, 12)}\u200b${key.slice(12)}`,
};

function microseconds(f: () => unknown): number {
  for (let i = 0; i < 2_000; i++) f();
  const runs = 20_000;
  const start = performance.now();
  for (let i = 0; i < runs; i++) f();
  return ((performance.now() - start) / runs) * 1000;
}

const rows: string[][] = [['input (2 KB)', 'findKeysInText µs', 'redactKeys µs']];
for (const [name, text] of Object.entries(inputs)) {
  rows.push([name, microseconds(() => findKeysInText(text)).toFixed(1), microseconds(() => redactKeys(text)).toFixed(1)]);
}
const query = Object.entries({ search: inputs['query: names, dates, a cursor']!.slice(0, 1000), cursor: 'eyJwayI6InByb2plY3QjcHJqXzEyMyJ9'.repeat(30) });
rows.push(['refuseKeysInQuery, 2 KB query', microseconds(() => refuseKeysInQuery(query)).toFixed(1), '']);
const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
for (const row of rows) console.log(row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '));
