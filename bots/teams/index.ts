import { localOnlyDoor } from '../../lambdas/local/local-door';
import { BotConfigError, teamsBotConfig, type TeamsBotConfig } from '../boot/bot-config';
import { errorLabel } from '../boot/bot-log';
import type { BotMount, LocalBotContext } from '../boot/bot-mount';
import { teamsRequestListener } from './http';
import { createTeamsBot } from './teams-bot';

/**
 * The Microsoft Teams edge of Keywarden (SPEC §5), booted as the Slack edge is (bots/boot/):
 *
 *   createTeamsBot(config)      one adapter + turn logic (teams-bot.ts); both doors below share it
 *   teamsMount                  the local server's /api/messages (node request listener)
 *   createTeamsLambdaHandler    the same bot behind API Gateway (handler.ts)
 *
 * The bot is a client of /v1 with its viewer key, like any integration; admin actions carry an
 * actor assertion for the Teams user (teams:<tenantId>:<aadObjectId>).
 */

/**
 * The local server's Teams endpoint (register at `/api/messages`). Credentials from TEAMS_APP_ID /
 * TEAMS_APP_PASSWORD (unset = Bot Framework Emulator mode, no auth); optional
 * TEAMS_APP_TENANT_ID for a SingleTenant Azure Bot. Talks to /v1 at `baseUrl` over HTTP.
 */
export const teamsMount: BotMount = async (context) => {
  const bot = createTeamsBot(localTeamsConfig(context));
  const listener = teamsRequestListener(bot.adapter, bot.logic, (err) => bot.log.error('teams: request failed', { error: errorLabel(err) }));
  // Emulator mode vouches for nothing: only a local tool may reach it, never a web page (local-door.ts).
  return bot.adapter.authenticationEnabled ? listener : localOnlyDoor(listener);
};

/** The Teams bot's configuration on the local stack: the data dir's secrets and the environment. */
export function localTeamsConfig({ secrets, baseUrl, env }: LocalBotContext): TeamsBotConfig {
  const viewerKey = secrets.botViewerKeys?.teams;
  if (!viewerKey) throw new BotConfigError('Teams bot: no viewer key (secrets.botViewerKeys.teams); the local stack bootstraps one');
  // Half a configuration is refused rather than guessed into a mode, naming the variable to set.
  const { appId, appPassword } = secrets.teams ?? {};
  if (appId && !appPassword) throw new BotConfigError('TEAMS_APP_PASSWORD is required when TEAMS_APP_ID is set');
  if (!appId && appPassword) throw new BotConfigError('TEAMS_APP_ID is required when TEAMS_APP_PASSWORD is set');
  return teamsBotConfig({
    apiBaseUrl: baseUrl,
    viewerKey,
    assertionSecret: secrets.botAssertion.current,
    credentials: {
      ...(appId ? { appId } : {}),
      ...(appPassword ? { appPassword } : {}),
      ...(env.TEAMS_APP_TENANT_ID ? { tenantId: env.TEAMS_APP_TENANT_ID } : {}),
    },
    // The local server's own address (from HOST): in Emulator mode admin actions need it to be loopback.
    bindHost: new URL(baseUrl).hostname,
  });
}

export { TeamsAdapter } from './adapter';
export { handleProxyEvent, teamsRequestListener } from './http';
export { createTeamsLambdaHandler, type TeamsLambdaHandler, type TeamsLambdaOptions } from './lambda-handler';
export { createTeamsBot, type TeamsBot } from './teams-bot';
export type { TeamsBotConfig, TeamsCredentials } from '../boot/bot-config';
