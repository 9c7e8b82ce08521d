import type { BotLog } from '../boot/bot-log';
import type { Conversation } from '../core';

/** What every Slack listener gets: the shared conversation core and the bot's log. */
export interface SlackDeps {
  conversation: Conversation;
  log: BotLog;
}
