import { budgetShareText, budgetSpentText, countText, startPreview, statusWord, usageText, type Reply } from '../../core';
import { periodWords } from '../../core/usage-report';
import { code, context, join, md, section, type Mrkdwn, type SlackMessage } from './mrkdwn';

type UsageReply = Extract<Reply, { kind: 'usage' }>;

/**
 * `usage [key]`: calls, tokens and credits today and this period (the key's budget period, else
 * the month) — of one key, with where its budget stands, or of the project with its top keys.
 */
export function usageMessage(reply: UsageReply, now = Date.now()): SlackMessage {
  const totals = (t: UsageReply['all']): Mrkdwn => md`${usageText(t)}`;
  const day = reply.since.slice(0, 10);
  const title = reply.key ? md`*Usage of ${reply.key.name}* ${code(startPreview(reply.key))}` : md`*Usage of this project*`;
  const period = reply.period.since === reply.since ? undefined : md`*${periodWords(reply.period)}:* ${totals(reply.period.all)}`;
  const budget = reply.key?.budget ? md`*Budget:* ${budgetSpentText(reply.key.budget, now)}` : undefined;
  const rows = reply.top.map(
    (row, i) =>
      md`${String(i + 1)}. ${row.key ? md`*${row.key.name}* ${code(startPreview(row.key))}${row.key.status === 'active' ? '' : md` (${statusWord(row.key.status)})`}` : code(row.keyId)} — ${totals(row)}${row.key?.budget ? md` · budget ${budgetShareText(row.key.budget)}` : ''}`,
  );
  const lines = [
    title,
    md`*Today* (${day}, UTC): ${totals(reply.all)}${reply.key ? '' : md` over ${countText(reply.keys)} keys`}`,
    ...(period ? [period] : []),
    ...(budget ? [budget] : []),
  ];
  return {
    text: md`Usage today: ${totals(reply.all)}`,
    blocks: [
      section(join(lines, '\n')),
      ...(rows.length ? [section(md`*Top keys by credits today*\n${join(rows, '\n')}`)] : []),
      ...(reply.complete && reply.period.complete ? [] : [context(md`Counted up to 10,000 calls; there were more.`)]),
    ],
  };
}
