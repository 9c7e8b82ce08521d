import { budgetWider, rateWider, type Powers } from './authority';
import { formatBudget } from './budget';
import { BUDGET_PERIODS, type AccountPolicy, type Budget, type RateLimit, type StoredAccountPolicy } from './types';

export type { AccountPolicy, StoredAccountPolicy } from './types';

/**
 * Account policies (issue 25 point 5): limits an operator sets on every key an account's projects
 * hold, above what any key or person of the account can decide. The authority rule (authority.ts)
 * bounds a key by its actor; a policy bounds it by its account, whoever acts. Operators (the CLI
 * against the store) set policies and are not bound by them, so a recovery key can always be
 * issued. No Node-only import, and no zod (the schema: account-policy-schema.ts): the console
 * shows the same limits (console/src/powers.ts).
 *
 * What each path makes of a policy (`policyViolation`, one check every path goes through):
 * - create (`POST /v1/keys`, the console, the CLI, chat) and the approval of a key request: every
 *   policy; a privileged key under `privilegedRequiresApproval` only through an approval. Limits
 *   nobody asked for are the policy's (a default year is cut to the maximum lifetime, the default
 *   rate to the maximum rate, no budget becomes the maximum budget); what is asked for is refused.
 * - edit (`PATCH`): the fields the edit sets, so a key made before the policy keeps what it has
 *   until someone changes it, and any change made is within the policy.
 * - rotate: the replacement's expiry is cut to the maximum lifetime from the rotation (never
 *   refused for it); a type, rate limit or budget the policy no longer allows is refused until
 *   the key is edited within it (a narrowing edit always passes). Rotations the platform makes
 *   itself (an exposed key's, as the operator) are never refused: stopping a leak comes first.
 */

/** Every policy, by the name a refusal gives (`param: policy.<name>`) and the field that holds it. */
export const POLICY_NAMES = ['maxKeyLifetimeSeconds', 'expiryRequired', 'allowedKeyTypes', 'maxRateLimit', 'maxBudget', 'privilegedRequiresApproval'] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];

/** The path a key takes into being or into its new shape. */
export type PolicyPath = 'create' | 'approval' | 'update' | 'rotate';

export interface PolicyViolation {
  policy: PolicyName;
  /** Says which policy and what it allows, in words an admin can act on. */
  message: string;
}

/** What the policies compare of a key. */
export type PolicyPowers = Pick<Powers, 'type' | 'rateLimit' | 'expiresAt' | 'budget'>;

/** The fields an edit touches that a policy is about. */
export type PolicyField = 'expiresAt' | 'rateLimit' | 'budget';

/** True when the policy sets nothing (no policy at all). */
export function isEmptyPolicy(policy: AccountPolicy | undefined): boolean {
  return !policy || POLICY_NAMES.every((name) => policy[name] === undefined || policy[name] === false);
}

/**
 * The first policy `key` breaks on `path` at `now`, or undefined. `touches`: on an edit, the
 * fields it sets (only those are held to the policy); elsewhere every field is.
 */
export function policyViolation(policy: AccountPolicy | undefined, key: PolicyPowers, path: PolicyPath, now: number, touches?: readonly PolicyField[]): PolicyViolation | undefined {
  if (!policy || key.type === 'system') return undefined;
  const checks = (field: PolicyField) => path !== 'update' || (touches ?? []).includes(field);
  if (path !== 'update' && policy.allowedKeyTypes && !policy.allowedKeyTypes.includes(key.type)) {
    return { policy: 'allowedKeyTypes', message: `Account policy allowedKeyTypes: this account may hold only ${policy.allowedKeyTypes.join(' and ')} keys, not a ${key.type} key.` };
  }
  if (path === 'create' && key.type === 'privileged' && policy.privilegedRequiresApproval) {
    return {
      policy: 'privilegedRequiresApproval',
      message: 'Account policy privilegedRequiresApproval: a privileged key is minted only by approving a key request (POST /v1/key-requests, or `request` in chat).',
    };
  }
  if (checks('expiresAt')) {
    const lifetime = policy.maxKeyLifetimeSeconds;
    if (key.expiresAt === null && lifetime !== undefined) {
      return { policy: 'maxKeyLifetimeSeconds', message: `Account policy maxKeyLifetimeSeconds: every key expires within ${formatLifetime(lifetime)}; a key that never expires is not allowed.` };
    }
    if (key.expiresAt === null && policy.expiryRequired) {
      return { policy: 'expiryRequired', message: 'Account policy expiryRequired: every key must have an expiry.' };
    }
    // Rotation cuts the expiry to the policy instead (`policyExpiry`); it is never refused for it.
    if (path !== 'rotate' && lifetime !== undefined && key.expiresAt !== null && key.expiresAt > now + lifetime * 1000) {
      return { policy: 'maxKeyLifetimeSeconds', message: `Account policy maxKeyLifetimeSeconds: a key may live at most ${formatLifetime(lifetime)}.` };
    }
  }
  if (checks('rateLimit') && policy.maxRateLimit && rateWider(key.rateLimit, policy.maxRateLimit)) {
    const { limit, windowSeconds } = policy.maxRateLimit;
    return { policy: 'maxRateLimit', message: `Account policy maxRateLimit: a key may allow at most ${limit} requests per ${windowSeconds} s.` };
  }
  if (checks('budget') && policy.maxBudget && (!key.budget || budgetWider(key.budget, policy.maxBudget))) {
    const what = key.budget ? `at most ${formatBudget(policy.maxBudget)}` : `a budget of at most ${formatBudget(policy.maxBudget)}`;
    return { policy: 'maxBudget', message: `Account policy maxBudget: every key needs ${what}.` };
  }
  return undefined;
}

/**
 * The expiry a key gets where none was asked for, or where rotation carries one over: `wanted`
 * (epoch ms, or null for never) cut to the maximum lifetime from `now`; "never" becomes the
 * maximum, or the default `fallbackMs` from now when only an expiry is required.
 */
export function policyExpiry(policy: AccountPolicy | undefined, wanted: number | null, now: number, fallbackMs: number): number | null {
  const max = policy?.maxKeyLifetimeSeconds;
  if (wanted === null) {
    if (max !== undefined) return now + max * 1000;
    return policy?.expiryRequired ? now + fallbackMs : null;
  }
  return max === undefined ? wanted : Math.min(wanted, now + max * 1000);
}

/** The default rate limit under the policy: no burst and no sustained rate beyond its maximum. */
export function policyRate(policy: AccountPolicy | undefined, wanted: RateLimit): RateLimit {
  const max = policy?.maxRateLimit;
  if (!max || !rateWider(wanted, max)) return wanted;
  return { limit: Math.min(wanted.limit, max.limit), windowSeconds: Math.max(wanted.windowSeconds, max.windowSeconds) };
}

/**
 * The default budget under the policy: none asked (and none inherited) is the maximum; an
 * inherited one wider than the maximum is cut on both axes (fewest credits, longest period), so it
 * is no wider than either.
 */
export function policyBudget(policy: AccountPolicy | undefined, inherited: Budget | undefined): Budget | undefined {
  const max = policy?.maxBudget;
  if (!max) return inherited;
  if (!inherited) return max;
  if (!budgetWider(inherited, max)) return inherited;
  const longer = BUDGET_PERIODS.indexOf(inherited.period) > BUDGET_PERIODS.indexOf(max.period) ? inherited.period : max.period;
  return { credits: Math.min(inherited.credits, max.credits), period: longer };
}

/** The policy as the API shows it to the account's keys (`GET /v1/me`): the limits, not who set them; null for none. */
export function publicPolicy(policy: StoredAccountPolicy | undefined): AccountPolicy | null {
  if (isEmptyPolicy(policy)) return null;
  return Object.fromEntries(POLICY_NAMES.filter((name) => policy![name] !== undefined).map((name) => [name, policy![name]])) as AccountPolicy;
}

/** The policy in one line per limit, for the CLI, the console and chat replies. */
export function describePolicy(policy: AccountPolicy | undefined): string[] {
  if (isEmptyPolicy(policy)) return [];
  const p = policy!;
  const lines: string[] = [];
  if (p.maxKeyLifetimeSeconds !== undefined) lines.push(`keys live at most ${formatLifetime(p.maxKeyLifetimeSeconds)}`);
  else if (p.expiryRequired) lines.push('every key expires');
  if (p.allowedKeyTypes) lines.push(`key types: ${p.allowedKeyTypes.join(', ')}`);
  if (p.maxRateLimit) lines.push(`rate limit at most ${p.maxRateLimit.limit}/${p.maxRateLimit.windowSeconds}s`);
  if (p.maxBudget) lines.push(`budget at most ${formatBudget(p.maxBudget)}`);
  if (p.privilegedRequiresApproval) lines.push('privileged keys only by approved request');
  return lines;
}

/** `90d`, `36h`: whole days when it is some, else hours (lifetimes are whole hours at least). */
export function formatLifetime(seconds: number): string {
  return seconds % 86_400 === 0 ? `${seconds / 86_400}d` : `${Math.round(seconds / 3_600)}h`;
}
