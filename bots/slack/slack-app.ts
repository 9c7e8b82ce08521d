import { App, LogLevel, type Receiver } from '@slack/bolt';
import { Conversation, KeywardenClient } from '../core';
import { registerListeners } from './listeners';
import { replayGuard } from './replay-guard';
import { defaultSlackLog, errorCode, type SlackLog } from './slack-deps';

export interface SlackBotOptions {
  /** Bot token (xoxb-…). */
  botToken: string;
  /**
   * HTTPReceiver locally, AwsLambdaReceiver in AWS; either verifies Slack's request signatures,
   * and must hand the signature to the context with `slackRequestProperties` (replay-guard.ts).
   */
  receiver: Receiver;
  /** The Keywarden API base; `/v1` is appended when missing. */
  keywardenUrl: string;
  viewerKey: string;
  assertionSecret: string;
  /** Slack Web API base (tests point it at a stand-in); default Slack's. */
  slackApiUrl?: string;
  log?: SlackLog;
  fetch?: typeof fetch;
}

/**
 * The Slack edge: a Bolt app whose listeners turn Slack payloads into calls of the shared
 * conversation core and render its replies as blocks. Nothing here decides who may do what.
 */
export function createSlackBot(options: SlackBotOptions): { app: App; conversation: Conversation } {
  const log = options.log ?? defaultSlackLog();
  const client = new KeywardenClient({
    baseUrl: options.keywardenUrl,
    viewerKey: options.viewerKey,
    assertionSecret: options.assertionSecret,
    bot: 'slack',
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const conversation = new Conversation({ client });
  const slackApiUrl = options.slackApiUrl ? options.slackApiUrl.replace(/\/*$/, '/') : undefined;
  const app = new App({
    token: options.botToken,
    receiver: options.receiver,
    // auth.test on first use, not at construction: the local server starts without reaching Slack.
    tokenVerificationEnabled: false,
    logLevel: LogLevel.WARN,
    clientOptions: {
      ...(slackApiUrl ? { slackApiUrl } : {}),
      // A Lambda has seconds, not the Web API client's default half hour of retries.
      retryConfig: { retries: 2, maxRetryTime: 5_000 },
    },
  });
  app.error(async (error) => {
    log.error('slack listener failed', { code: errorCode(error.original ?? error), name: error.name });
  });
  // Before every listener: a request that was already seen (a replay, a retried event) stops here.
  app.use(replayGuard(client, log));
  registerListeners(app, { conversation, log });
  return { app, conversation };
}
