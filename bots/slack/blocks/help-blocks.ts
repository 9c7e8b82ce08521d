import type { CommandName, HelpEntry } from '../../core';
import { SLASH_COMMAND } from './action-ids';
import { code, context, escape, section, type SlackMessage } from './mrkdwn';

export function helpMessage(entries: readonly HelpEntry[], topic?: CommandName): SlackMessage {
  const shown = topic ? entries.filter((e) => e.name === topic) : entries;
  const lines = shown.map((e) => `${code(`${SLASH_COMMAND} ${e.usage}`)}${e.adminOnly ? ' _(admins)_' : ''}\n${escape(e.summary)}`);
  return {
    text: 'Keywarden commands',
    blocks: [
      section(`*Keywarden* manages this project’s API keys.\n\n${lines.join('\n')}`),
      context(`${code('<key>')} is a name, id or visible start. ${code(`${SLASH_COMMAND} create`)} with no arguments opens a form. Mention me with anything else to chat.`),
    ],
  };
}
