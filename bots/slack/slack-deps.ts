import { Logger } from '@aws-lambda-powertools/logger';
import type { Conversation } from '../core';

/** What every listener needs. */
export interface SlackDeps {
  conversation: Conversation;
  log: SlackLog;
}

/** Structured log lines of the Slack edge: event names and error codes only, never message text or keys. */
export interface SlackLog {
  warn(message: string, fields?: Record<string, string | number | boolean | undefined>): void;
  error(message: string, fields?: Record<string, string | number | boolean | undefined>): void;
}

/** Powertools JSON lines, as the API and the Teams bot write them. */
export function defaultSlackLog(): SlackLog {
  const logger = new Logger({ serviceName: 'keywarden', persistentKeys: { component: 'slack-bot' } });
  return {
    warn: (message, fields) => logger.warn(message, fields ?? {}),
    error: (message, fields) => logger.error(message, fields ?? {}),
  };
}

/** The code of a Web API / HTTP error, safe to log. */
export function errorCode(err: unknown): string {
  if (err && typeof err === 'object') {
    const e = err as { code?: unknown; data?: { error?: unknown }; name?: unknown };
    if (typeof e.data?.error === 'string') return e.data.error;
    if (typeof e.code === 'string') return e.code;
    if (typeof e.name === 'string') return e.name;
  }
  return 'unknown';
}
