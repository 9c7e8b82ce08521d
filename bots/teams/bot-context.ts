import type { BotLog } from '../boot/bot-log';
import type { Conversation } from '../core';
import type { TeamsAdapter } from './adapter';

/** What every Teams listener gets: the transport, the shared conversation core, and the bot's log. */
export interface TeamsBotContext {
  adapter: TeamsAdapter;
  conversation: Conversation;
  log: BotLog;
}
