import * as z from 'zod';
import { secretArnVariable, type SecretName } from '../../lambdas/config';
import type { SecretsProvider } from '../../lambdas/core/ports';
import type { BotName } from '../core';

/**
 * How both bots are configured, wherever they run: parsed once with zod, and a missing value
 * fails loudly with its name (SPEC §5, STYLE 7). A bot needs three things besides its platform's
 * credentials: where /v1 is, its Locked-Down Viewer key, and the secret that signs actor
 * assertions.
 *
 * In AWS (bots/slack/handler.ts, bots/teams/handler.ts) the environment is parsed at cold start
 * (`loadBotLambdaEnv`) and the secrets are read on every invocation through the cached provider
 * (`readBotSecrets`, in fresh-build.ts: built once, rebuilt when a value changes); the local server builds the same config from its data dir
 * (bots/slack/local-mount.ts, bots/teams/index.ts).
 *
 * Lambda environment (set by the stateless stack):
 *   KEYWARDEN_API_URL             public base of the API; the bot calls `<it>/v1` over HTTP
 *   SLACK_API_URL                 (Slack, optional) another Slack Web API base
 *   SECRET_SLACK_ARN / SECRET_TEAMS_ARN   the platform's credentials (below)
 *   SECRET_BOT_VIEWER_KEYS_ARN    { slack, teams }: the bots' viewer keys
 *   SECRET_BOT_ASSERTION_ARN      { current }: signs the X-Keywarden-Actor assertions
 */
export class BotConfigError extends Error {
  override name = 'BotConfigError';
}

const text = z.string().min(1);

/** What every bot needs to be a client of /v1. */
interface BotBase {
  /** The API base; `/v1` is appended when missing. */
  apiBaseUrl: string;
  viewerKey: string;
  assertionSecret: string;
}

export interface SlackBotConfig extends BotBase {
  signingSecret: string;
  botToken: string;
  /** The bot's user (U…) and bot (B…) ids, when known: Bolt then needs no auth.test to ignore its own messages. */
  botUserId?: string;
  botId?: string;
  /** Another Slack Web API base (the tests' stand-in); default Slack's. */
  slackApiUrl?: string;
}

/** The Azure Bot's credentials. No app id = Bot Framework Emulator mode (local only, no auth). */
export interface TeamsCredentials {
  appId?: string;
  appPassword?: string;
  /** Set for a SingleTenant Azure Bot (the only kind Azure creates now); unset = MultiTenant. */
  tenantId?: string;
}

export interface TeamsBotConfig extends BotBase {
  credentials: TeamsCredentials;
  /** Emulator mode only: the host the local server is bound to (see bots/teams/emulator-guard.ts). */
  bindHost?: string;
}

/** The platform secret as stored in Secrets Manager. In AWS the Teams bot always authenticates. */
const PLATFORM_SECRETS = {
  slack: {
    schema: z.object({ signingSecret: text, botToken: text, botUserId: text.optional(), botId: text.optional() }),
    holds: 'signingSecret and botToken (and optionally botUserId, botId)',
  },
  teams: { schema: z.object({ appId: text, appPassword: text, tenantId: text.optional() }), holds: 'appId and appPassword (and optionally tenantId)' },
} as const;
const AssertionSecret = z.object({ current: text });

export interface BotLambdaEnv {
  apiBaseUrl: string;
  slackApiUrl?: string;
  /** The three secrets a bot reads, by name. */
  secretArns: Partial<Record<SecretName, string>>;
}

const secretsOf = (bot: BotName) => [bot, 'botViewerKeys', 'botAssertion'] as const satisfies readonly SecretName[];

/** The Lambda environment of `bot`, at cold start. Every missing or malformed variable is named. */
export function loadBotLambdaEnv(bot: BotName, env: NodeJS.ProcessEnv): BotLambdaEnv {
  const schema = z.object({
    KEYWARDEN_API_URL: z.string().url(),
    ...(bot === 'slack' ? { SLACK_API_URL: z.string().url().optional() } : {}),
    ...Object.fromEntries(secretsOf(bot).map((name) => [secretArnVariable(name), text])),
  });
  const parsed = schema.safeParse(env);
  if (!parsed.success) throw new BotConfigError(`invalid ${bot} bot configuration: ${issues(parsed.error)}`);
  const values = parsed.data as Record<string, string | undefined>;
  return {
    apiBaseUrl: values.KEYWARDEN_API_URL!,
    ...(values.SLACK_API_URL ? { slackApiUrl: values.SLACK_API_URL } : {}),
    secretArns: Object.fromEntries(secretsOf(bot).map((name) => [name, values[secretArnVariable(name)]!])),
  };
}

/** Reads `bot`'s three secrets (platform, viewer key, assertion secret), each checked by shape. */
export async function readBotSecrets<B extends BotName>(
  bot: B,
  provider: SecretsProvider,
): Promise<{ platform: z.infer<(typeof PLATFORM_SECRETS)[B]['schema']>; viewerKey: string; assertionSecret: string }> {
  const [platform, viewerKeys, assertion] = await Promise.all([provider.get(bot), provider.get('botViewerKeys'), provider.get('botAssertion')]);
  const { schema, holds } = PLATFORM_SECRETS[bot] as { schema: z.ZodType; holds: string };
  return {
    platform: secret(bot, schema, holds, platform) as z.infer<(typeof PLATFORM_SECRETS)[B]['schema']>,
    viewerKey: secret('botViewerKeys', z.object({ [bot]: text }), bot, viewerKeys)[bot] as string,
    assertionSecret: secret('botAssertion', AssertionSecret, 'current', assertion).current,
  };
}

/** A bot's whole configuration, checked: what the local server assembles goes through here too. */
export function slackBotConfig(config: SlackBotConfig): SlackBotConfig {
  return check('slack', SlackConfigSchema, config);
}

export function teamsBotConfig(config: TeamsBotConfig): TeamsBotConfig {
  return check('teams', TeamsConfigSchema, config);
}

const BaseSchema = { apiBaseUrl: z.string().url(), viewerKey: text, assertionSecret: text };
const SlackConfigSchema = z.object({
  ...BaseSchema,
  signingSecret: text,
  botToken: text,
  botUserId: text.optional(),
  botId: text.optional(),
  slackApiUrl: z.string().url().optional(),
});
const TeamsConfigSchema = z.object({
  ...BaseSchema,
  // App id without password (or the reverse) is a half-configured bot: refused rather than guess a mode.
  credentials: z
    .object({ appId: text.optional(), appPassword: text.optional(), tenantId: text.optional() })
    .refine((c) => Boolean(c.appId) === Boolean(c.appPassword), { message: 'appId and appPassword go together: set both, or neither (Emulator mode)' }),
  bindHost: text.optional(),
});

function check<T>(bot: BotName, schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new BotConfigError(`invalid ${bot} bot configuration: ${issues(parsed.error)}`);
  return parsed.data;
}

function secret<T>(name: SecretName, schema: z.ZodType<T>, holds: string, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new BotConfigError(`secret ${name} must hold ${holds}`);
  return parsed.data;
}

function issues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}
