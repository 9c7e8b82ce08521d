import type { BotLog } from '../boot/bot-log';
import type { Conversation, KeywardenClient } from '../core';

/** What every Slack listener gets: the shared conversation core and the bot's log. */
export interface SlackDeps {
  conversation: Conversation;
  log: BotLog;
  /** The /v1 client (the conversation's): buttons outside the conversation's commands (a rotated key's Collect key). */
  client?: KeywardenClient;
}
