import type { CommandName, HelpEntry } from '../../core';
import { SLASH_COMMAND } from './action-ids';
import { code, context, join, md, section, type SlackMessage } from './mrkdwn';

export function helpMessage(entries: readonly HelpEntry[], topic?: CommandName): SlackMessage {
  const shown = topic ? entries.filter((e) => e.name === topic) : entries;
  const lines = shown.map((e) => md`${code(`${SLASH_COMMAND} ${e.usage}`)}${e.adminOnly ? md` _(admins)_` : ''}\n${e.summary}`);
  return {
    text: md`Keywarden commands`,
    blocks: [
      section(md`*Keywarden* manages this project’s API keys.\n\n${join(lines, '\n')}`),
      context(
        md`${code('<key>')} is a name, id or visible start. ${code(`${SLASH_COMMAND} create`)} with no arguments opens a form. Mention me with anything else to chat.`,
      ),
    ],
  };
}
