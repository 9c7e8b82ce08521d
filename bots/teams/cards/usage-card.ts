import { budgetShareText, budgetSpentText, countText, startPreview, statusWord, usageText } from '../../core/key-text';
import type { Reply } from '../../core/replies';
import { periodWords } from '../../core/usage-report';
import { adaptiveCard, facts, heading, plain, text, type AdaptiveCard } from './adaptive-card';

type UsageReply = Extract<Reply, { kind: 'usage' }>;

/**
 * `usage [key]`: calls, tokens and credits today and this period (the key's budget period, else
 * the month) — of one key, with where its budget stands, or of the project with its top keys.
 */
export function usageCard(input: UsageReply, nowMs = Date.now()): AdaptiveCard {
  const totals = usageText;
  const day = input.since.slice(0, 10);
  const rows = input.top.map((row, i): [string, string] => [
    `${i + 1}. ${row.key ? `${plain(row.key.name)} (${startPreview(row.key)}${row.key.status === 'active' ? '' : `, ${statusWord(row.key.status)}`})` : row.keyId}`,
    `${totals(row)}${row.key?.budget ? ` · budget ${budgetShareText(row.key.budget)}` : ''}`,
  ]);
  const period: [string, string][] = input.period.since === input.since ? [] : [[periodWords(input.period), totals(input.period.all)]];
  return adaptiveCard([
    heading(input.key ? `Usage of “${plain(input.key.name)}”` : 'Usage of this project'),
    facts([
      [`Today (${day}, UTC)`, totals(input.all)],
      ...period,
      ...(input.key?.budget ? ([['Budget', budgetSpentText(input.key.budget, nowMs)]] as [string, string][]) : []),
      ...(input.key ? [] : ([['Keys used today', countText(input.keys)]] as [string, string][])),
    ]),
    ...(rows.length ? [text('Top keys by credits today', { weight: 'bolder' }), facts(rows)] : []),
    ...(input.complete && input.period.complete ? [] : [text('Counted up to 10,000 calls; there were more.', { isSubtle: true })]),
  ]);
}
