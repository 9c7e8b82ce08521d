import { assertRateLimit, BOOTSTRAP_RATE_LIMIT } from './core/operator-service';
import type { RateLimit } from './core/types';
import type { Services } from './services';

/**
 * First start of an environment: an account with API access and some credits, a project with its
 * Automator key, one viewer key per bot, and an admin privileged key. Raw keys are returned to the
 * caller once; this module writes them nowhere.
 */
export interface BootstrapResult {
  accountId: string;
  projectId: string;
  adminKey: string;
  adminKeyId: string;
  botViewerKeys: { slack: string; teams: string };
}

export async function bootstrapEnvironment(
  services: Services,
  options: { accountName?: string; projectName?: string; credits?: number; admins?: string[]; actor?: string; rateLimit?: RateLimit } = {},
): Promise<BootstrapResult> {
  const actor = options.actor ?? 'system';
  if (options.rateLimit) assertRateLimit(options.rateLimit);
  const account = await services.operator.createAccount({
    name: options.accountName ?? 'Local account',
    apiAccess: true,
    credits: options.credits ?? 1000,
  });
  const { project } = await services.operator.createProject({ accountId: account.id, name: options.projectName ?? 'Local project', actor });
  const operator = { kind: 'operator' as const, actor, projectId: project.id };
  // A bot speaks for a whole workspace, several /v1 calls per command: it gets a larger window.
  const botLimit = BOOTSTRAP_RATE_LIMIT;
  // The project's root credential: a key never mints or manages a key wider than itself (SPEC §3),
  // so it does not expire and carries the bots' window unless the operator gives it another (any
  // limit: 6000/min is the default, not a ceiling); keys it creates default to one year.
  const rateLimit = options.rateLimit ?? BOOTSTRAP_RATE_LIMIT;
  const admin = await services.keys.create(operator, { name: 'Bootstrap admin key', type: 'privileged', rateLimit, expiresInMs: null });
  const slack = await services.keys.create(operator, { name: 'Slack bot viewer key', type: 'viewer', rateLimit: botLimit });
  const teams = await services.keys.create(operator, { name: 'Teams bot viewer key', type: 'viewer', rateLimit: botLimit });
  for (const identity of options.admins ?? []) await services.operator.addAdmin(project.id, identity, actor);
  return {
    accountId: account.id,
    projectId: project.id,
    adminKey: admin.secret,
    adminKeyId: admin.key.id,
    botViewerKeys: { slack: slack.secret, teams: teams.secret },
  };
}
