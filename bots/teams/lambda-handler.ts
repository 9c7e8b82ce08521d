import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { SecretsProvider } from '../../lambdas/core/ports';
import { readBotSecrets, teamsBotConfig, type BotLambdaEnv } from '../boot/bot-config';
import { errorLabel, type BotLog } from '../boot/bot-log';
import { isBudgetAlertsEvent, isExpiryRemindersEvent } from '../core/expiry-reminders-event';
import { freshBuild } from '../boot/fresh-build';
import { createTeamsBot } from './teams-bot';
import { handleProxyEvent } from './http';

export type TeamsLambdaHandler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

export interface TeamsLambdaOptions extends Pick<BotLambdaEnv, 'apiBaseUrl'> {
  /** Reads 'teams' {appId, appPassword, tenantId?}, 'botViewerKeys' {teams}, 'botAssertion' {current}. */
  secrets: SecretsProvider;
  log?: BotLog;
}

/**
 * The Teams bot as a Lambda handler (handler.ts, API Gateway REST proxy), booted
 * as the Slack one is: the environment parsed at cold start, the secrets read through the cached
 * provider on every invocation and the adapter built on the first, and again whenever a secret
 * has changed (bots/boot/fresh-build.ts). In AWS the bot always verifies Bot Framework
 * JWTs: a `teams` secret without appId and appPassword fails the invocation loudly rather than
 * run unauthenticated.
 */
export function createTeamsLambdaHandler(options: TeamsLambdaOptions): TeamsLambdaHandler {
  // Rebuilt when a secret changes (bots/boot/fresh-build.ts): a rotated app password or viewer key reaches warm instances.
  const bot = freshBuild(
    () => readBotSecrets('teams', options.secrets),
    ({ platform, viewerKey, assertionSecret }) =>
      createTeamsBot(teamsBotConfig({ apiBaseUrl: options.apiBaseUrl, viewerKey, assertionSecret, credentials: platform }), options.log),
  );
  return async (event) => {
    if (isExpiryRemindersEvent(event)) {
      // The daily schedule: each due notice goes to the admin's 1:1 chat saved at install.
      const outcome = await (await bot()).sendReminders();
      return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(outcome) };
    }
    if (isBudgetAlertsEvent(event)) {
      // Every 5 minutes: each alert, then each exposure notice, claimed once, to the admin's 1:1 chat.
      const built = await bot();
      const outcome = await built.sendBudgetAlerts();
      const exposureNotices = await built.sendExposureNotices();
      // Then the rotations' notices (issue 25): each logs its counts; the answer keeps its shape.
      await built.sendStragglerNotices();
      await built.sendRotationFailureNotices();
      await built.sendRotationDeliveryNotices();
      // Then the approval cards owed for key requests made elsewhere (logged by the job).
      await built.sendRequestCards();
      return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...outcome, exposureNotices }) };
    }
    const { adapter, logic, log } = await bot();
    return handleProxyEvent(adapter, logic, event, (err) => log.error('teams: request failed', { error: errorLabel(err) }));
  };
}
