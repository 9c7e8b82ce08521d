import { App, LogLevel, webApi, type AuthorizeResult, type Receiver } from '@slack/bolt';
import type { SlackBotConfig } from '../boot/bot-config';
import { botLog, errorLabel, type BotLog } from '../boot/bot-log';
import { Conversation, KeywardenClient } from '../core';
import { slackKeyRequestNotifier } from './key-request-notices';
import { registerListeners } from './listeners';
import { replayGuard } from './replay-guard';
import { responseUrlGuard, responseUrlPolicy } from './response-urls';

export interface SlackBot {
  app: App;
  conversation: Conversation;
  /** The bot's /v1 client (the conversation's), for jobs outside a Slack request (expiry reminders). */
  client: KeywardenClient;
  /** The Web API with the bot token, for messages no Slack request asked for (expiry reminders). */
  web: webApi.WebClient;
  log: BotLog;
}

/**
 * The Slack edge: a Bolt app whose listeners turn Slack payloads into calls of the shared
 * conversation core and render its replies as blocks. Nothing here decides who may do what.
 *
 * `receiver` is Bolt's HTTPReceiver locally (local-mount.ts) and its AwsLambdaReceiver in AWS
 * (lambda-handler.ts); either verifies Slack's request signatures with `config.signingSecret`,
 * and must hand the signature to the context with `slackRequestProperties` (replay-guard.ts).
 */
export function createSlackBot(config: SlackBotConfig, receiver: Receiver, log: BotLog = botLog('slack')): SlackBot {
  const client = new KeywardenClient({ baseUrl: config.apiBaseUrl, viewerKey: config.viewerKey, assertionSecret: config.assertionSecret, bot: 'slack' });
  const slackApiUrl = config.slackApiUrl ? config.slackApiUrl.replace(/\/*$/, '/') : undefined;
  const clientOptions = {
    ...(slackApiUrl ? { slackApiUrl } : {}),
    // A Lambda has seconds, not the Web API client's default half hour of retries.
    retryConfig: { retries: 2, maxRetryTime: 5_000 },
    timeout: 10_000,
  };
  const web = new webApi.WebClient(config.botToken, { ...clientOptions, logLevel: webApi.LogLevel.WARN });
  // Key requests reach admins (the card) and requesters (the decision) in their DMs with the bot.
  const conversation = new Conversation({ client, notifier: slackKeyRequestNotifier({ web, log }) });
  const app = new App({
    receiver,
    // No auth.test, ever: with a plain `token` Bolt 5.1 calls auth.test on every request when
    // token verification is off (and once at construction when on). The bot's own user id —
    // what Bolt's ignoreSelf and the mention stripping need — comes from the configuration or
    // from the signed event's `authorizations`.
    authorize: async (_source, body) => botAuthorization(config, body),
    logLevel: LogLevel.WARN,
    clientOptions,
  });
  app.error(async (error) => {
    log.error('slack listener failed', { code: errorLabel(error.original ?? error), name: error.name });
  });
  // Before every listener: a payload whose response_url is not Slack's (or the configured API's) stops here,
  const responseUrls = responseUrlPolicy(slackApiUrl);
  app.use(responseUrlGuard(responseUrls, log));
  // and a request that was already seen (a replay, a retried event).
  app.use(replayGuard(client, log));
  registerListeners(app, { conversation, log, client, responseUrls });
  return { app, conversation, client, web, log };
}

/**
 * What Bolt's `authorize` needs, without a Web API call: the bot token, and the bot's user id
 * when known (configured, or the bot authorization Slack puts in every Events API callback).
 */
export function botAuthorization(config: Pick<SlackBotConfig, 'botToken' | 'botUserId' | 'botId'>, body: unknown): AuthorizeResult {
  const authorizations = (body as { authorizations?: unknown } | undefined)?.authorizations;
  const fromEvent = Array.isArray(authorizations)
    ? (authorizations as { is_bot?: unknown; user_id?: unknown }[]).find((a) => a?.is_bot === true && typeof a.user_id === 'string')?.user_id
    : undefined;
  const botUserId = config.botUserId ?? (fromEvent as string | undefined);
  return { botToken: config.botToken, ...(botUserId ? { botUserId } : {}), ...(config.botId ? { botId: config.botId } : {}) };
}
