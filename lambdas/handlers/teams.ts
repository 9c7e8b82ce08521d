import { loadBotLambdaEnv } from '../../bots/boot/bot-config';
import { createTeamsLambdaHandler } from '../../bots/teams/lambda-handler';
import { AwsSecretsProvider } from '../adapters/secrets';

/**
 * Lambda entry for POST /api/messages (API Gateway REST proxy). Boots as lambdas/handlers/slack.ts
 * does: the environment parsed here at cold start (a missing variable fails loudly with its name;
 * the list is in bots/boot/bot-config.ts), the secrets read and the adapter built on the first
 * invocation (bots/teams/lambda-handler.ts).
 */
const env = loadBotLambdaEnv('teams', process.env);
export const handler = createTeamsLambdaHandler({ ...env, secrets: new AwsSecretsProvider(env.secretArns) });
