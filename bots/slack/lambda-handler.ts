import { AwsLambdaReceiver, LogLevel } from '@slack/bolt';
import type { AwsEvent, AwsResponse } from '@slack/bolt/dist/receivers/AwsLambdaReceiver';
import type { Context } from 'aws-lambda';
import type { SecretsProvider } from '../../lambdas/core/ports';
import { readBotSecrets, slackBotConfig, type BotLambdaEnv } from '../boot/bot-config';
import type { BotLog } from '../boot/bot-log';
import { coldBuild } from '../boot/cold-build';
import { isAheadOfClock, slackRequestProperties } from './replay-guard';
import { createSlackBot } from './slack-app';

export type SlackLambdaHandler = (event: AwsEvent, context: Context) => Promise<AwsResponse>;

export interface SlackLambdaOptions extends Pick<BotLambdaEnv, 'apiBaseUrl' | 'slackApiUrl'> {
  /** Reads 'slack' {signingSecret, botToken}, 'botViewerKeys' {slack}, 'botAssertion' {current}. */
  secrets: SecretsProvider;
  log?: BotLog;
}

/**
 * The Slack bot as a Lambda handler (lambdas/handlers/slack.ts), booted as the Teams one is: the
 * environment parsed at cold start, the secrets read and the app built once on the first
 * invocation (bots/boot/). Bolt's AwsLambdaReceiver verifies Slack's signature and runs the
 * listener before answering (a frozen Lambda cannot work after its response); timestamps ahead
 * of the clock are refused and every request is claimed once (replay-guard.ts).
 */
export function createSlackLambdaHandler(options: SlackLambdaOptions): SlackLambdaHandler {
  const handle = coldBuild(async (): Promise<SlackLambdaHandler> => {
    const { platform, viewerKey, assertionSecret } = await readBotSecrets('slack', options.secrets);
    const config = slackBotConfig({
      apiBaseUrl: options.apiBaseUrl,
      viewerKey,
      assertionSecret,
      ...platform,
      ...(options.slackApiUrl ? { slackApiUrl: options.slackApiUrl } : {}),
    });
    const receiver = new AwsLambdaReceiver({
      signingSecret: config.signingSecret,
      logLevel: LogLevel.WARN,
      customPropertiesExtractor: (event) => slackRequestProperties(event.headers),
    });
    createSlackBot(config, receiver, options.log);
    return receiver.start();
  });
  return async (event, context) => {
    // Dated more than 60 s ahead: refused before Bolt, which only refuses old timestamps.
    if (isAheadOfClock(event.headers)) return { statusCode: 401, body: '' };
    return (await handle())(event, context);
  };
}
