import type { BotLog } from '../boot/bot-log';
import type { Conversation, KeywardenClient } from '../core';
import type { ResponseUrlPolicy } from './response-urls';

/** What every Slack listener gets: the shared conversation core and the bot's log. */
export interface SlackDeps {
  conversation: Conversation;
  log: BotLog;
  /** The /v1 client (the conversation's): buttons outside the conversation's commands (a rotated key's Collect key). */
  client?: KeywardenClient;
  /** Where a response_url kept in a modal's private_metadata may be answered (response-urls.ts); Slack's hosts only when absent. */
  responseUrls?: ResponseUrlPolicy;
}
