import { Logger } from '@aws-lambda-powertools/logger';
import { ActivityTypes, type TurnContext } from 'botbuilder';
import type { BotMount } from '../../lambdas/local/local-stack';
import { Conversation, KeywardenClient, redactKeys } from '../core';
import { TeamsAdapter, type TurnLogic } from './adapter';
import { errorName, type BotLog, type TeamsBotContext } from './bot-context';
import { createTurnLogic } from './bot';
import { checkCredentials, type TeamsBotConfig } from './config';
import { teamsRequestListener } from './http';
import { textActivity } from './render-reply';

/**
 * The Microsoft Teams edge of Keywarden (SPEC §5): botbuilder's CloudAdapter in front of the
 * shared conversation core, rendering its replies as Adaptive Cards 1.5.
 *
 *   createTeamsBot(config)   one adapter + turn logic; both entry points below share it
 *   teamsMount               the local server's /api/messages (node request listener)
 *   lambdas/handlers/teams.ts   the same bot behind API Gateway
 *
 * The bot is a client of /v1 with its viewer key, like any integration; admin actions carry an
 * actor assertion for the Teams user (teams:<tenantId>:<aadObjectId>).
 */
export interface TeamsBot {
  adapter: TeamsAdapter;
  logic: TurnLogic;
  log: BotLog;
}

export function createTeamsBot(config: TeamsBotConfig, log: BotLog = defaultLog()): TeamsBot {
  const adapter = new TeamsAdapter(config.credentials, config.bindHost ? { bindHost: config.bindHost } : {});
  const client = new KeywardenClient({ baseUrl: config.apiBaseUrl, viewerKey: config.viewerKey, assertionSecret: config.assertionSecret, bot: 'teams' });
  const bot: TeamsBotContext = { adapter, conversation: new Conversation({ client }), log };
  adapter.onTurnError = async (context: TurnContext, error: Error) => {
    log.error('teams: turn failed', { error: errorName(error), detail: redactKeys(error.message ?? '').slice(0, 300) });
    if (context.activity.type === ActivityTypes.Invoke) {
      await context.sendActivity({
        type: ActivityTypes.InvokeResponse,
        value: { status: 200, body: { statusCode: 500, type: 'application/vnd.microsoft.error', value: { code: 'InternalError', message: 'Keywarden could not complete this action.' } } },
      });
    } else {
      await context.sendActivity(textActivity('⚠️ Sorry, something went wrong on my side. Try again in a moment.'));
    }
  };
  return { adapter, logic: createTurnLogic(bot), log };
}

function defaultLog(): BotLog {
  const logger = new Logger({ serviceName: 'keywarden', persistentKeys: { component: 'teams-bot' } });
  return {
    info: (message, attributes) => logger.info(message, attributes ?? {}),
    warn: (message, attributes) => logger.warn(message, attributes ?? {}),
    error: (message, attributes) => logger.error(message, attributes ?? {}),
  };
}

/**
 * The local server's Teams endpoint (register at `/api/messages`). Credentials from TEAMS_APP_ID /
 * TEAMS_APP_PASSWORD (unset = Bot Framework Emulator mode, no auth); optional
 * TEAMS_APP_TENANT_ID for a SingleTenant Azure Bot. Talks to /v1 at `baseUrl` over HTTP.
 */
export const teamsMount: BotMount = async ({ secrets, baseUrl, env }) => {
  const viewerKey = secrets.botViewerKeys?.teams;
  if (!viewerKey) throw new Error('Teams bot: no viewer key (secrets.botViewerKeys.teams); the local stack bootstraps one');
  const credentials = checkCredentials(
    {
      ...(secrets.teams?.appId ? { appId: secrets.teams.appId } : {}),
      ...(secrets.teams?.appPassword ? { appPassword: secrets.teams.appPassword } : {}),
      ...(env.TEAMS_APP_TENANT_ID ? { tenantId: env.TEAMS_APP_TENANT_ID } : {}),
    },
    { id: 'TEAMS_APP_ID', password: 'TEAMS_APP_PASSWORD' },
  );
  // The local server's own address (from HOST): in Emulator mode admin actions need it to be loopback.
  const bindHost = new URL(baseUrl).hostname;
  const bot = createTeamsBot({ apiBaseUrl: baseUrl, viewerKey, assertionSecret: secrets.botAssertion.current, credentials, bindHost });
  return teamsRequestListener(bot.adapter, bot.logic, (err) => bot.log.error('teams: request failed', { error: errorName(err) }));
};

export { TeamsAdapter, type TeamsCredentials } from './adapter';
export { handleProxyEvent, teamsRequestListener } from './http';
export { errorName } from './bot-context';
export type { TeamsBotConfig } from './config';
