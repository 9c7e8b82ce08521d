import { AwsSecretsProvider } from '../../lambdas/adapters/secrets';
import { loadBotLambdaEnv } from '../boot/bot-config';
import { createSlackLambdaHandler } from './lambda-handler';

/**
 * Lambda entry for POST /slack/events. Boots as bots/teams/handler.ts does: the environment
 * parsed here at cold start (a missing variable fails loudly with its name; the list is in
 * bots/boot/bot-config.ts), the secrets read and the app built on the first invocation
 * (lambda-handler.ts).
 */
const env = loadBotLambdaEnv('slack', process.env);
export const handler = createSlackLambdaHandler({ ...env, secrets: new AwsSecretsProvider(env.secretArns) });
