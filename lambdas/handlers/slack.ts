import * as z from 'zod';
import { createSlackLambdaHandler } from '../../bots/slack/lambda-handler';
import { AwsSecretsProvider } from '../adapters/secrets';
import { secretArnVariable, type SecretName } from '../config';

/**
 * Lambda entry for POST /slack/events (bots/slack/lambda-handler.ts does the work).
 *
 * Environment (set by lib/keywarden-service.ts), parsed at cold start; a missing one fails loudly:
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

function loadSlackEnv(env: NodeJS.ProcessEnv) {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    throw new Error(`invalid Slack bot configuration: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const values = parsed.data as Record<string, string | undefined>;
  return {
    keywardenUrl: parsed.data.KEYWARDEN_API_URL,
    slackApiUrl: parsed.data.SLACK_API_URL,
    secretArns: Object.fromEntries(SECRETS.map((name) => [name, values[secretArnVariable(name)]!])) as Record<SecretName, string>,
  };
}

const env = loadSlackEnv(process.env);
export const handler = createSlackLambdaHandler({
  keywardenUrl: env.keywardenUrl,
  ...(env.slackApiUrl ? { slackApiUrl: env.slackApiUrl } : {}),
  secrets: new AwsSecretsProvider(env.secretArns),
});
