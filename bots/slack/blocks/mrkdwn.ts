import type { types } from '@slack/bolt';

/** A message as the Web API takes it: `text` is the notification fallback, `blocks` the layout. */
export interface SlackMessage {
  text: string;
  blocks: types.KnownBlock[];
}

/**
 * Escapes user-controlled text (key names, model answers, error messages) for mrkdwn, so a key
 * named `<!channel>` cannot ping a channel and `<http://x|y>` cannot disguise a link.
 */
export function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Inline code; backticks in the value would end the span, so they are dropped. */
export function code(text: string): string {
  return `\`${escape(text.replace(/`/g, "'"))}\``;
}

export function section(text: string): types.SectionBlock {
  // Section text is limited to 3000 characters.
  return { type: 'section', text: { type: 'mrkdwn', text: text.length > 3000 ? `${text.slice(0, 2990)}…` : text } };
}

export function context(text: string): types.ContextBlock {
  return { type: 'context', elements: [{ type: 'mrkdwn', text }] };
}

/** A Slack user mention for a `slack:<team>:<user>` identity; other identities as code. */
export function mention(identity: string): string {
  const m = /^slack:[A-Za-z0-9]+:([A-Za-z0-9]+)$/.exec(identity);
  return m ? `<@${m[1]}>` : code(identity);
}
