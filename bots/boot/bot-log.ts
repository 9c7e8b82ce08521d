import { loggerWith, loggingFromEnvironment } from '../../lambdas/logging';
import type { BotName } from '../core';

/**
 * The bots' structured log lines, one Powertools logger per bot (`component: slack-bot` /
 * `teams-bot`), as the API writes them (lambdas/logging.ts). Callers pass event names, ids and error labels only:
 * never message text, card content, Slack payloads or errors whole (SPEC §8: no raw key in any
 * log line).
 */
export interface BotLog {
  info(message: string, attributes?: Record<string, unknown>): void;
  warn(message: string, attributes?: Record<string, unknown>): void;
  error(message: string, attributes?: Record<string, unknown>): void;
}

export function botLog(bot: BotName): BotLog {
  // As the API's lines: JSON by default, or readable (LOG_FORMAT=text) and at LOG_LEVEL under `npm start`.
  const logger = loggerWith(loggingFromEnvironment(), { serviceName: 'keywarden', persistentKeys: { component: `${bot}-bot` } });
  return {
    info: (message, attributes) => logger.info(message, attributes ?? {}),
    warn: (message, attributes) => logger.warn(message, attributes ?? {}),
    error: (message, attributes) => logger.error(message, attributes ?? {}),
  };
}

/**
 * What an error is, safe to log: a Slack Web API error's code (`channel_not_found`), else the
 * error's own code, else its name with the HTTP status (botbuilder's REST errors carry the
 * request, and with it the card, so they are never logged whole).
 */
export function errorLabel(err: unknown): string {
  if (!err || typeof err !== 'object') return 'unknown';
  const e = err as { data?: { error?: unknown }; code?: unknown; name?: unknown; statusCode?: unknown };
  if (typeof e.data?.error === 'string') return e.data.error;
  if (typeof e.code === 'string') return e.code;
  const name = typeof e.name === 'string' ? e.name : 'unknown';
  return typeof e.statusCode === 'number' ? `${name} (${e.statusCode})` : name;
}
