import { countText, startPreview, statusWord, usageText } from '../../core/key-text';
import type { Reply } from '../../core/replies';
import { adaptiveCard, facts, heading, plain, text, type AdaptiveCard } from './adaptive-card';

type UsageReply = Extract<Reply, { kind: 'usage' }>;

/** `usage [key]`: today's calls, tokens and credits, of one key or of the project with its top keys. */
export function usageCard(input: UsageReply): AdaptiveCard {
  const totals = usageText;
  const day = input.since.slice(0, 10);
  const rows = input.top.map((row, i): [string, string] => [
    `${i + 1}. ${row.key ? `${plain(row.key.name)} (${startPreview(row.key)}${row.key.status === 'active' ? '' : `, ${statusWord(row.key.status)}`})` : row.keyId}`,
    totals(row),
  ]);
  return adaptiveCard([
    heading(input.key ? `Usage of “${plain(input.key.name)}” today` : 'Usage of this project today'),
    facts([
      ['Today', `${day} (since 00:00 UTC)`],
      ['Total', totals(input.all)],
      ...(input.key ? [] : ([['Keys used', countText(input.keys)]] as [string, string][])),
    ]),
    ...(rows.length ? [text('Top keys by credits', { weight: 'bolder' }), facts(rows)] : []),
    ...(input.complete ? [] : [text('Counted up to 10,000 calls; there were more.', { isSubtle: true })]),
  ]);
}
