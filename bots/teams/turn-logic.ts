import type { TurnContext } from 'botbuilder';

/**
 * What runs one inbound activity: the bot's turn handler (bot.ts), as the adapter runs it and the
 * emulator guard wraps it.
 */
export type TurnLogic = (context: TurnContext) => Promise<void>;
