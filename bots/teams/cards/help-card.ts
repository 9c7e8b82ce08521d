import type { CommandName, HelpEntry } from '../../core/command-grammar';
import { adaptiveCard, heading, text, type AdaptiveCard } from './adaptive-card';

/** `help`: the commands, as plain messages to the bot (@mention it in a channel). */
export function helpCard(input: { entries: readonly HelpEntry[]; topic?: CommandName }): AdaptiveCard {
  const entries = input.topic ? input.entries.filter((e) => e.name === input.topic) : input.entries;
  return adaptiveCard([
    heading(input.topic ? `Keywarden: ${input.topic}` : 'Keywarden commands'),
    ...entries.map((e) => text(`\`${e.usage}\`${e.adminOnly ? ' *(admins)*' : ''}\n\n${e.summary}`, { spacing: 'small' })),
    text('In a channel, @mention Keywarden first. Anything else you say is a question for the assistant.', { isSubtle: true, size: 'small' }),
  ]);
}
