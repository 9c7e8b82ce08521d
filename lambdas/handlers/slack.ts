import { AwsLambdaReceiver, LogLevel } from '@slack/bolt';
import type { AwsEvent, AwsResponse } from '@slack/bolt/dist/receivers/AwsLambdaReceiver';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { createSlackBot } from '../../bots/slack';
import { AwsSecretsProvider } from '../adapters/secrets';
import { secretArnVariable, type SecretName } from '../config';

/**
 * Lambda entry for POST /slack/events. Bolt's AwsLambdaReceiver verifies Slack's signature and
 * runs the listener before answering (a frozen Lambda cannot work after its response).
 *
 * Environment (set by lib/keywarden-service.ts):
 *   KEYWARDEN_API_URL                 public base of the API; the bot calls `<it>/v1` over HTTP
 *   SLACK_API_URL                     optional Slack Web API base (default Slack's)
 *   SECRET_SLACK_ARN                  {signingSecret, botToken}
 *   SECRET_BOT_VIEWER_KEYS_ARN        {slack, teams}: the bots' Locked-Down Viewer keys
 *   SECRET_BOT_ASSERTION_ARN          {current}: signs the X-Keywarden-Actor assertions
 */
const SECRETS = ['slack', 'botViewerKeys', 'botAssertion'] as const satisfies readonly SecretName[];

const EnvSchema = z.object({
  KEYWARDEN_API_URL: z.string().url(),
  SLACK_API_URL: z.string().url().optional(),
  ...Object.fromEntries(SECRETS.map((name) => [secretArnVariable(name), z.string().min(1)])),
});

export interface SlackLambdaConfig {
  keywardenUrl: string;
  slackApiUrl: string | undefined;
  secretArns: Record<(typeof SECRETS)[number], string>;
}

/** Parsed once at cold start; a missing variable fails loudly with its name. */
export function loadSlackConfig(env: NodeJS.ProcessEnv = process.env): SlackLambdaConfig {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    throw new Error(`invalid Slack bot configuration: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const values = parsed.data as Record<string, string | undefined>;
  return {
    keywardenUrl: parsed.data.KEYWARDEN_API_URL,
    slackApiUrl: parsed.data.SLACK_API_URL,
    secretArns: Object.fromEntries(SECRETS.map((name) => [name, values[secretArnVariable(name)]!])) as SlackLambdaConfig['secretArns'],
  };
}

type Handler = (event: AwsEvent, context: Context) => Promise<AwsResponse>;

/** Builds the Bolt app once the secrets are read (they are async), then reuses it while warm. */
export function createSlackLambdaHandler(config: SlackLambdaConfig, secrets = new AwsSecretsProvider(config.secretArns)): Handler {
  let ready: Promise<Handler> | undefined;
  const build = async (): Promise<Handler> => {
    const [slack, viewerKeys, assertion] = await Promise.all([
      secrets.get<{ signingSecret: string; botToken: string }>('slack'),
      secrets.get<{ slack: string }>('botViewerKeys'),
      secrets.get<{ current: string }>('botAssertion'),
    ]);
    const receiver = new AwsLambdaReceiver({ signingSecret: slack.signingSecret, logLevel: LogLevel.WARN });
    createSlackBot({
      botToken: slack.botToken,
      receiver,
      keywardenUrl: config.keywardenUrl,
      viewerKey: viewerKeys.slack,
      assertionSecret: assertion.current,
      ...(config.slackApiUrl ? { slackApiUrl: config.slackApiUrl } : {}),
    });
    return receiver.start();
  };
  return async (event, context) => {
    // A failed build (secrets not reachable yet) is retried on the next invocation, not cached.
    ready ??= build().catch((err: unknown) => {
      ready = undefined;
      throw err;
    });
    return (await ready)(event, context);
  };
}

const config = loadSlackConfig();
export const handler = createSlackLambdaHandler(config);
