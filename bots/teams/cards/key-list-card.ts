import type { ApiKey } from '../../core/api-types';
import { adaptiveCard, heading, plain, text, type AdaptiveCard, type Container } from './adaptive-card';
import { keySummaryLine } from './key-facts';

/** `list [search]`: one row per key, never a secret — only names and visible starts. */
export function keyListCard(input: { keys: ApiKey[]; search?: string; more: boolean }, nowMs = Date.now()): AdaptiveCard {
  const title = input.search ? `Keys matching “${plain(input.search)}”` : 'Keys of this project';
  if (input.keys.length === 0) return adaptiveCard([heading(title), text(input.search ? 'No key matches.' : 'This project has no keys yet.', { isSubtle: true })]);
  const rows: Container[] = input.keys.map((key, i) => ({
    type: 'Container',
    items: [text(keySummaryLine(key, nowMs)), text(key.id, { isSubtle: true, size: 'small', spacing: 'none' })],
    ...(i > 0 ? { separator: true } : {}),
  }));
  return adaptiveCard([
    heading(title),
    ...rows,
    ...(input.more ? [text('More keys exist: narrow with `list <search>`.', { isSubtle: true })] : []),
    text('Details: `show <key>` · history: `audit <key>`', { isSubtle: true, size: 'small' }),
  ]);
}

/** Several keys matched a name or start: ask for the id. */
export function ambiguousCard(input: { query: string; candidates: ApiKey[] }, nowMs = Date.now()): AdaptiveCard {
  return adaptiveCard([
    heading(`“${plain(input.query)}” matches ${input.candidates.length} keys`),
    text('Say it again with the key id:', { isSubtle: true }),
    ...input.candidates.map((key) => text(`${keySummaryLine(key, nowMs)} — \`${key.id}\``)),
  ]);
}
