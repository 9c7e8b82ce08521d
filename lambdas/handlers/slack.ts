import { loadBotLambdaEnv } from '../../bots/boot/bot-config';
import { createSlackLambdaHandler } from '../../bots/slack/lambda-handler';
import { AwsSecretsProvider } from '../adapters/secrets';

/**
 * Lambda entry for POST /slack/events. Boots as lambdas/handlers/teams.ts does: the environment
 * parsed here at cold start (a missing variable fails loudly with its name; the list is in
 * bots/boot/bot-config.ts), the secrets read and the app built on the first invocation
 * (bots/slack/lambda-handler.ts).
 */
const env = loadBotLambdaEnv('slack', process.env);
export const handler = createSlackLambdaHandler({ ...env, secrets: new AwsSecretsProvider(env.secretArns) });
