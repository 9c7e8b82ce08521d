import { AwsLambdaReceiver, LogLevel } from '@slack/bolt';
import type { AwsEvent, AwsResponse } from '@slack/bolt/dist/receivers/AwsLambdaReceiver';
import type { Context } from 'aws-lambda';
import type { SecretsProvider } from '../../lambdas/core/ports';
import { isAheadOfClock, slackRequestProperties } from './replay-guard';
import { createSlackBot } from './slack-app';

export type SlackLambdaHandler = (event: AwsEvent, context: Context) => Promise<AwsResponse>;

export interface SlackLambdaOptions {
  /** The Keywarden API base; `/v1` is appended. */
  keywardenUrl: string;
  slackApiUrl?: string;
  /** Reads 'slack' {signingSecret, botToken}, 'botViewerKeys' {slack}, 'botAssertion' {current}. */
  secrets: SecretsProvider;
}

/**
 * The Slack bot as a Lambda handler. Bolt's AwsLambdaReceiver verifies Slack's signature and runs
 * the listener before answering (a frozen Lambda cannot work after its response); timestamps
 * ahead of the clock are refused and every request is claimed once (replay-guard.ts). The app is
 * built on the first invocation, once the secrets are read (they are async), and reused while warm.
 */
export function createSlackLambdaHandler(options: SlackLambdaOptions): SlackLambdaHandler {
  let ready: Promise<SlackLambdaHandler> | undefined;
  const build = async (): Promise<SlackLambdaHandler> => {
    const [slack, viewerKeys, assertion] = await Promise.all([
      options.secrets.get<{ signingSecret: string; botToken: string }>('slack'),
      options.secrets.get<{ slack: string }>('botViewerKeys'),
      options.secrets.get<{ current: string }>('botAssertion'),
    ]);
    const receiver = new AwsLambdaReceiver({
      signingSecret: slack.signingSecret,
      logLevel: LogLevel.WARN,
      customPropertiesExtractor: (event) => slackRequestProperties(event.headers),
    });
    createSlackBot({
      botToken: slack.botToken,
      receiver,
      keywardenUrl: options.keywardenUrl,
      viewerKey: viewerKeys.slack,
      assertionSecret: assertion.current,
      ...(options.slackApiUrl ? { slackApiUrl: options.slackApiUrl } : {}),
    });
    return receiver.start();
  };
  return async (event, context) => {
    // Dated more than 60 s ahead: refused before Bolt, which only refuses old timestamps.
    if (isAheadOfClock(event.headers)) return { statusCode: 401, body: '' };
    // A failed build (secrets not readable yet) is retried on the next invocation, not cached.
    ready ??= build().catch((err: unknown) => {
      ready = undefined;
      throw err;
    });
    return (await ready)(event, context);
  };
}
