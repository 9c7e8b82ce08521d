import { countText, startPreview, statusWord, usageText, type Reply } from '../../core';
import { code, context, join, md, section, type Mrkdwn, type SlackMessage } from './mrkdwn';

type UsageReply = Extract<Reply, { kind: 'usage' }>;

/** `usage [key]`: today's calls, tokens and credits, of one key or of the project with its top keys. */
export function usageMessage(reply: UsageReply): SlackMessage {
  const totals = (t: UsageReply['all']): Mrkdwn => md`${usageText(t)}`;
  const day = reply.since.slice(0, 10);
  const title = reply.key ? md`*Usage of ${reply.key.name}* ${code(startPreview(reply.key))} today (${day}, UTC)` : md`*Usage of this project* today (${day}, UTC)`;
  const rows = reply.top.map(
    (row, i) => md`${String(i + 1)}. ${row.key ? md`*${row.key.name}* ${code(startPreview(row.key))}${row.key.status === 'active' ? '' : md` (${statusWord(row.key.status)})`}` : code(row.keyId)} — ${totals(row)}`,
  );
  return {
    text: md`Usage today: ${totals(reply.all)}`,
    blocks: [
      section(md`${title}\n${totals(reply.all)}${reply.key ? '' : md` over ${countText(reply.keys)} keys`}`),
      ...(rows.length ? [section(md`*Top keys by credits*\n${join(rows, '\n')}`)] : []),
      ...(reply.complete ? [] : [context(md`Counted up to 10,000 calls; there were more.`)]),
    ],
  };
}
