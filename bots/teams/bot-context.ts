import type { BotLog } from '../boot/bot-log';
import type { Conversation, KeywardenClient } from '../core';
import type { TeamsAdapter } from './adapter';

/** What every Teams listener gets: the transport, the shared conversation core, and the bot's log. */
export interface TeamsBotContext {
  adapter: TeamsAdapter;
  conversation: Conversation;
  /** The /v1 client the conversation core uses (saving and reading where people are reached). */
  client: KeywardenClient;
  log: BotLog;
}
