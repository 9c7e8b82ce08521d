import { IDENTITY_PATTERN } from '../../lambdas/core/actor-assertion';
import type { BotName } from './api-types';

/**
 * Platform identities, the form the API knows admins by (SPEC §5):
 *   slack:<team_id>:<user_id>          e.g. slack:T0123:U0456
 *   teams:<tenant_id>:<aad_object_id>  e.g. teams:72f9…:0e1b…
 */
export function slackIdentity(teamId: string, userId: string): string {
  return `slack:${teamId}:${userId}`;
}

export function teamsIdentity(tenantId: string, aadObjectId: string): string {
  return `teams:${tenantId}:${aadObjectId}`;
}

export function isIdentity(value: string): boolean {
  return IDENTITY_PATTERN.test(value);
}

export type ParsedIdentity = { platform: BotName; tenant: string; user: string };

export function parseIdentity(identity: string): ParsedIdentity | undefined {
  if (!isIdentity(identity)) return undefined;
  const [platform, tenant, user] = identity.split(':') as [BotName, string, string];
  return { platform, tenant, user };
}
