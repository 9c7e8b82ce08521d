import type { Conversation } from '../core';
import type { TeamsAdapter } from './adapter';

/** What every Teams listener gets: the transport, the shared conversation core, and a log. */
export interface TeamsBotContext {
  adapter: TeamsAdapter;
  conversation: Conversation;
  log: BotLog;
}

/**
 * Structured log lines. Callers never pass message text, card content or errors whole: only
 * names, codes and redacted messages (SPEC §8: no raw key in any log line).
 */
export interface BotLog {
  info(message: string, attributes?: Record<string, unknown>): void;
  warn(message: string, attributes?: Record<string, unknown>): void;
  error(message: string, attributes?: Record<string, unknown>): void;
}

/** Errors are logged by name and status only: botbuilder's REST errors carry the request, and with it the card. */
export function errorName(err: unknown): string {
  if (!(err instanceof Error)) return 'unknown';
  const status = (err as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' ? `${err.name} (${status})` : err.name;
}
