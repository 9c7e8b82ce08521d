import type { types } from '@slack/bolt';

/**
 * Slack reads `<…>` in mrkdwn as mentions and links (`<!channel>` pings a whole channel,
 * `<https://evil|click>` disguises a link) and `&…;` as entities — in block text and in a
 * message's notification `text` alike. Every text the bot sends to Slack is therefore a
 * `Mrkdwn` value, and a `Mrkdwn` is made only here:
 *
 *   - the literal parts of an `md` template are ours;
 *   - every string interpolated into `md` goes through `escape`, the one escaping function;
 *   - the few sanctioned links (`mention`, `channelLink`) accept only well-formed Slack ids.
 *
 * Blocks and messages take `Mrkdwn`, never `string`, and leave for the wire only through
 * `wire`; so no factory can put raw user text (a key name, a search, a model's answer, an
 * error) into a payload by forgetting to escape it: it does not compile.
 */
class SafeMrkdwn {
  // A #private field makes the type nominal: an object literal is never a Mrkdwn.
  readonly #text: string;
  constructor(text: string) {
    this.#text = text;
  }
  get text(): string {
    return this.#text;
  }
}
export type Mrkdwn = SafeMrkdwn;

/** Escapes user-controlled text for Slack (`&`, `<`, `>`, as Slack's formatting reference asks). */
export function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Mrkdwn from a template: literals as written, interpolated strings and numbers escaped, `Mrkdwn` kept. */
export function md(literals: TemplateStringsArray, ...values: ReadonlyArray<Mrkdwn | string | number>): Mrkdwn {
  let out = literals[0] ?? '';
  values.forEach((value, i) => {
    out += (value instanceof SafeMrkdwn ? value.text : escape(String(value))) + (literals[i + 1] ?? '');
  });
  return new SafeMrkdwn(out);
}

/** Joins mrkdwn pieces; the separator is escaped like any other text. */
export function join(parts: readonly Mrkdwn[], separator: string): Mrkdwn {
  return new SafeMrkdwn(parts.map((p) => p.text).join(escape(separator)));
}

/** Inline code; backticks in the value would end the span, so they become quotes. */
export function code(text: string): Mrkdwn {
  return md`\`${text.replace(/`/g, "'")}\``;
}

/** A preformatted block; a ``` in the value would end it, so that (only) becomes '''. */
export function codeBlock(text: string): Mrkdwn {
  return md`\`\`\`${text.replace(/```/g, "'''")}\`\`\``;
}

/** A Slack user mention for a `slack:<team>:<user>` identity; any other identity as code. */
export function mention(identity: string): Mrkdwn {
  const m = /^slack:[A-Za-z0-9]+:([A-Za-z0-9]+)$/.exec(identity);
  return m ? new SafeMrkdwn(`<@${m[1]}>`) : code(identity);
}

/** A link to a conversation (`<#C…>`); an id that is not a Slack id becomes nothing. */
export function channelLink(channelId: string | undefined): Mrkdwn | undefined {
  return channelId && /^[CGD][A-Z0-9]+$/.test(channelId) ? new SafeMrkdwn(`<#${channelId}>`) : undefined;
}

/** A block made by the factories below; object literals are not blocks (`[SAFE]` exists only in types). */
declare const SAFE: unique symbol;
export type Block = types.KnownBlock & { readonly [SAFE]: true };

/** Section text is limited to 3000 characters. */
const SECTION_MAX = 3000;

function clip(text: Mrkdwn): string {
  const value = text.text;
  return value.length > SECTION_MAX ? `${value.slice(0, SECTION_MAX - 10)}…` : value;
}

export function section(text: Mrkdwn): Block {
  return { type: 'section', text: { type: 'mrkdwn', text: clip(text) } } as Block;
}

/** A section of two-column fields (at most 10). */
export function fieldsSection(fields: readonly Mrkdwn[]): Block {
  return { type: 'section', fields: fields.slice(0, 10).map((f) => ({ type: 'mrkdwn', text: clip(f) })) } as Block;
}

export function context(text: Mrkdwn): Block {
  return { type: 'context', elements: [{ type: 'mrkdwn', text: clip(text) }] } as Block;
}

/** Buttons: their labels are plain_text, which Slack never reads as markup. */
export function actions(buttons: types.Button[]): Block {
  return { type: 'actions', elements: buttons } as Block;
}

/** A message: `text` is the notification fallback, `blocks` the layout. */
export interface SlackMessage {
  text: Mrkdwn;
  blocks: Block[];
}

/** What the Web API and response_urls take. */
export interface WireMessage {
  text: string;
  blocks: types.KnownBlock[];
}

/** The only way from a `SlackMessage` to a payload (delivery.ts sends nothing else). */
export function wire(message: SlackMessage): WireMessage {
  return { text: clip(message.text), blocks: message.blocks };
}
