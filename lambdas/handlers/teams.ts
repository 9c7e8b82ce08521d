import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { createTeamsBot, errorName, handleProxyEvent, type TeamsBot } from '../../bots/teams';
import { AssertionSecret, loadTeamsLambdaEnv, TeamsConfigError, TeamsSecret, ViewerKeysSecret } from '../../bots/teams/config';
import { AwsSecretsProvider } from '../adapters/secrets';

/**
 * Lambda entry for POST /api/messages (API Gateway REST proxy): the Teams bot. Environment is
 * parsed at cold start; the secrets are read and the adapter built on the first invocation, then
 * reused while the instance is warm. In AWS the bot always verifies Bot Framework JWTs: a `teams`
 * secret without appId and appPassword fails loudly rather than run unauthenticated.
 */
const env = loadTeamsLambdaEnv(process.env);
const secrets = new AwsSecretsProvider(env.arns);
let bot: Promise<TeamsBot> | undefined;

async function build(): Promise<TeamsBot> {
  const [teams, viewerKeys, assertion] = await Promise.all([secrets.get('teams'), secrets.get('botViewerKeys'), secrets.get('botAssertion')]);
  const credentials = TeamsSecret.safeParse(teams);
  if (!credentials.success) throw new TeamsConfigError('secret teams must hold appId and appPassword (and optionally tenantId)');
  const keys = ViewerKeysSecret.safeParse(viewerKeys);
  if (!keys.success) throw new TeamsConfigError('secret botViewerKeys must hold teams');
  const signing = AssertionSecret.safeParse(assertion);
  if (!signing.success) throw new TeamsConfigError('secret botAssertion must hold current');
  return createTeamsBot({ apiBaseUrl: env.apiBaseUrl, viewerKey: keys.data.teams, assertionSecret: signing.data.current, credentials: credentials.data });
}

export async function handler(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  bot ??= build().catch((err: unknown) => {
    bot = undefined; // the next invocation tries again (e.g. a secret fixed after deploy)
    throw err;
  });
  const { adapter, logic, log } = await bot;
  return handleProxyEvent(adapter, logic, event, (err) => log.error('teams: request failed', { error: errorName(err) }));
}
