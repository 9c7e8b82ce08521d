import { AwsSecretsProvider } from '../../lambdas/adapters/secrets';
import { loadBotLambdaEnv } from '../boot/bot-config';
import { createTeamsLambdaHandler } from './lambda-handler';

/**
 * Lambda entry for POST /api/messages (API Gateway REST proxy). Boots as bots/slack/handler.ts
 * does: the environment parsed here at cold start (a missing variable fails loudly with its name;
 * the list is in bots/boot/bot-config.ts), the secrets read and the adapter built on the first
 * invocation (lambda-handler.ts).
 */
const env = loadBotLambdaEnv('teams', process.env);
export const handler = createTeamsLambdaHandler({ ...env, secrets: new AwsSecretsProvider(env.secretArns) });
