import { z } from 'zod';
import { secretArnVariable } from '../../lambdas/config';
import type { TeamsCredentials } from './adapter';

/**
 * The Teams bot's configuration, wherever it runs: where /v1 is, the bot's viewer key, the
 * assertion secret, and the Azure Bot credentials. Parsed once; a missing value fails loudly
 * with its name.
 */
export interface TeamsBotConfig {
  /** The API base the bot calls (`…/v1` appended by the client). */
  apiBaseUrl: string;
  /** The bot's Locked-Down Viewer key (secret `botViewerKeys.teams`). */
  viewerKey: string;
  /** Signs actor assertions for admin actions (secret `botAssertion.current`). */
  assertionSecret: string;
  credentials: TeamsCredentials;
  /** Emulator mode (no app id) only: the host the local server is bound to; see emulator-guard.ts. */
  bindHost?: string;
}

export class TeamsConfigError extends Error {
  override name = 'TeamsConfigError';
}

/** App id without password (or the reverse) is a half-configured bot: refuse rather than guess a mode. */
export function checkCredentials(credentials: TeamsCredentials, where: { id: string; password: string }): TeamsCredentials {
  if (credentials.appId && !credentials.appPassword) throw new TeamsConfigError(`${where.password} is required when ${where.id} is set`);
  if (!credentials.appId && credentials.appPassword) throw new TeamsConfigError(`${where.id} is required when ${where.password} is set`);
  return credentials;
}

/**
 * Lambda environment (set by the stateless stack):
 *   KEYWARDEN_API_URL            public base URL of the API (the bot is a client of /v1)
 *   SECRET_TEAMS_ARN             { appId, appPassword, tenantId? } — the Azure Bot's credentials
 *   SECRET_BOT_VIEWER_KEYS_ARN   { slack, teams } — the bots' viewer keys
 *   SECRET_BOT_ASSERTION_ARN     { current } — the actor-assertion secret
 */
const LambdaEnv = z.object({
  KEYWARDEN_API_URL: z.string().url(),
  [secretArnVariable('teams')]: z.string().min(1),
  [secretArnVariable('botViewerKeys')]: z.string().min(1),
  [secretArnVariable('botAssertion')]: z.string().min(1),
});

export interface TeamsLambdaEnv {
  apiBaseUrl: string;
  arns: { teams: string; botViewerKeys: string; botAssertion: string };
}

export function loadTeamsLambdaEnv(env: NodeJS.ProcessEnv): TeamsLambdaEnv {
  const parsed = LambdaEnv.safeParse(env);
  if (!parsed.success) {
    throw new TeamsConfigError(`invalid Teams bot configuration: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const e = parsed.data as Record<string, string>;
  return {
    apiBaseUrl: e.KEYWARDEN_API_URL!,
    arns: { teams: e[secretArnVariable('teams')]!, botViewerKeys: e[secretArnVariable('botViewerKeys')]!, botAssertion: e[secretArnVariable('botAssertion')]! },
  };
}

/** Secret `teams` as stored in Secrets Manager. */
export const TeamsSecret = z.object({ appId: z.string().min(1), appPassword: z.string().min(1), tenantId: z.string().min(1).optional() });
export const ViewerKeysSecret = z.object({ teams: z.string().min(1) }).passthrough();
export const AssertionSecret = z.object({ current: z.string().min(1) }).passthrough();
