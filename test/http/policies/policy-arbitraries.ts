import fc from 'fast-check';
import { expect } from 'vitest';
import { policyViolation, type AccountPolicy, type PolicyName } from '../../../lambdas/core/account-policy';
import { budgetWider, rateWider } from '../../../lambdas/core/authority';
import { parseDuration } from '../../../lambdas/core/duration';
import type { Budget, RateLimit } from '../../../lambdas/core/types';

/**
 * What the policy property tests share: generated account policies, key asks and edits, and the
 * oracle — what each path must refuse, written from the policy's words (issue 25 point 5), not from
 * the gate's code: a limit asked for beyond the policy is refused naming it; a limit nobody asked
 * for is the policy's; an edit is held to the policy on what it sets; rotation cuts the lifetime.
 */

export const DAY_S = 86_400;

export const policyArb: fc.Arbitrary<AccountPolicy> = fc.record(
  {
    maxKeyLifetimeSeconds: fc.constantFrom(DAY_S, 30 * DAY_S),
    expiryRequired: fc.boolean(),
    allowedKeyTypes: fc.constantFrom<AccountPolicy['allowedKeyTypes']>(['viewer'], ['privileged'], ['viewer', 'privileged']),
    maxRateLimit: fc.constantFrom<RateLimit>({ limit: 10, windowSeconds: 60 }, { limit: 100, windowSeconds: 1 }),
    maxBudget: fc.constantFrom<Budget>({ credits: 5, period: 'day' }, { credits: 50, period: 'month' }),
    privilegedRequiresApproval: fc.boolean(),
  },
  { requiredKeys: [] },
);

/** A `POST /v1/keys` (or key request) body: each limit asked for, or left to the defaults. */
export interface KeyAsk {
  type?: 'viewer' | 'privileged';
  expiresIn?: string;
  rateLimit?: RateLimit;
  budget?: Budget;
}
export const askArb: fc.Arbitrary<KeyAsk> = fc.record(
  {
    type: fc.constantFrom('viewer' as const, 'privileged' as const),
    expiresIn: fc.constantFrom('12h', '7d', '90d'),
    rateLimit: fc.constantFrom<RateLimit>({ limit: 5, windowSeconds: 60 }, { limit: 100, windowSeconds: 60 }, { limit: 1000, windowSeconds: 60 }),
    budget: fc.constantFrom<Budget>({ credits: 1, period: 'day' }, { credits: 20, period: 'month' }, { credits: 100, period: 'week' }),
  },
  { requiredKeys: [] },
);

/** The policies a new key asked for this way breaks: `approval` lifts only privilegedRequiresApproval. */
export function forbiddenAsk(policy: AccountPolicy, ask: KeyAsk, path: 'create' | 'approval'): PolicyName[] {
  const out: PolicyName[] = [];
  const type = ask.type ?? 'privileged';
  if (policy.allowedKeyTypes && !policy.allowedKeyTypes.includes(type)) out.push('allowedKeyTypes');
  if (path === 'create' && type === 'privileged' && policy.privilegedRequiresApproval) out.push('privilegedRequiresApproval');
  if (ask.expiresIn && policy.maxKeyLifetimeSeconds !== undefined && parseDuration(ask.expiresIn)! > policy.maxKeyLifetimeSeconds * 1000) out.push('maxKeyLifetimeSeconds');
  if (ask.rateLimit && policy.maxRateLimit && rateWider(ask.rateLimit, policy.maxRateLimit)) out.push('maxRateLimit');
  if (ask.budget && policy.maxBudget && budgetWider(ask.budget, policy.maxBudget)) out.push('maxBudget');
  return out;
}

/** A key made before the policy (by an operator, bound by nothing): often beyond it. */
export interface LegacyKey {
  type: 'viewer' | 'privileged';
  expiresInMs: number | null;
  rateLimit: RateLimit;
  budget?: Budget;
}
export const legacyArb: fc.Arbitrary<LegacyKey> = fc.record(
  {
    type: fc.constantFrom('viewer' as const, 'privileged' as const),
    expiresInMs: fc.constantFrom(null, 2 * 365 * DAY_S * 1000, 12 * 3_600_000),
    rateLimit: fc.constantFrom<RateLimit>({ limit: 1000, windowSeconds: 60 }, { limit: 7, windowSeconds: 60 }),
    budget: fc.constantFrom<Budget>({ credits: 1000, period: 'day' }, { credits: 2, period: 'month' }),
  },
  { requiredKeys: ['type', 'expiresInMs', 'rateLimit'] },
);

/** An edit (PATCH body): values distinct from the legacy ones, so "set" always means "changed". */
export interface Edit {
  name?: string;
  expiresAt?: number | null;
  rateLimit?: RateLimit;
  budget?: Budget | null;
}
export const editArb = (now: number): fc.Arbitrary<Edit> =>
  fc.record(
    {
      name: fc.constant('renamed'),
      expiresAt: fc.option(fc.constantFrom(now + 10 * 3_600_000, now + 10 * DAY_S * 1000, now + 400 * DAY_S * 1000), { nil: null }),
      rateLimit: fc.constantFrom<RateLimit>({ limit: 5, windowSeconds: 60 }, { limit: 500, windowSeconds: 60 }, { limit: 100, windowSeconds: 1 }),
      budget: fc.option(fc.constantFrom<Budget>({ credits: 2, period: 'day' }, { credits: 40, period: 'month' }), { nil: null }),
    },
    { requiredKeys: [] },
    // An empty PATCH changes nothing and is refused as such (400, "name at least one field"): not an edit.
  ).filter((edit) => Object.keys(edit).length > 0);

/**
 * The policies an edit of `before` breaks, on the fields it changes: a field set to the value the
 * key already has changes nothing, so it is not held to the policy (a key older than the policy
 * keeps what it has).
 */
export function forbiddenEdit(policy: AccountPolicy, before: { expiresAt: number | null; budget?: Budget; rateLimit?: RateLimit }, edit: Edit, now: number): PolicyName[] {
  const out: PolicyName[] = [];
  const max = policy.maxKeyLifetimeSeconds;
  const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
  if (edit.budget !== undefined && edit.budget !== null && before.budget && same({ ...edit.budget }, { credits: before.budget.credits, period: before.budget.period })) edit = { ...edit, budget: undefined };
  if (edit.rateLimit && before.rateLimit && same({ ...edit.rateLimit }, { limit: before.rateLimit.limit, windowSeconds: before.rateLimit.windowSeconds })) edit = { ...edit, rateLimit: undefined };
  if (edit.expiresAt !== undefined && edit.expiresAt === before.expiresAt) edit = { ...edit, expiresAt: undefined };
  if (edit.expiresAt !== undefined && !(edit.expiresAt === null && before.expiresAt === null)) {
    if (edit.expiresAt === null && max !== undefined) out.push('maxKeyLifetimeSeconds');
    else if (edit.expiresAt === null && policy.expiryRequired) out.push('expiryRequired');
    else if (edit.expiresAt !== null && max !== undefined && edit.expiresAt > now + max * 1000) out.push('maxKeyLifetimeSeconds');
  }
  if (edit.rateLimit && policy.maxRateLimit && rateWider(edit.rateLimit, policy.maxRateLimit)) out.push('maxRateLimit');
  if (edit.budget !== undefined && !(edit.budget === null && !before.budget) && policy.maxBudget && (edit.budget === null || budgetWider(edit.budget, policy.maxBudget))) out.push('maxBudget');
  return out;
}

/** The policies rotating `key` as it stands breaks (its lifetime is cut, never refused). */
export function forbiddenRotation(policy: AccountPolicy, key: { type: string; rateLimit: RateLimit; budget?: Budget | null }): PolicyName[] {
  const out: PolicyName[] = [];
  if (policy.allowedKeyTypes && !policy.allowedKeyTypes.includes(key.type as 'viewer')) out.push('allowedKeyTypes');
  if (policy.maxRateLimit && rateWider(key.rateLimit, policy.maxRateLimit)) out.push('maxRateLimit');
  if (policy.maxBudget && (!key.budget || budgetWider(key.budget, policy.maxBudget))) out.push('maxBudget');
  return out;
}

/** An answer from /v1 as the tests read it. */
export interface Answer {
  status: number;
  body: any;
}

/**
 * The property itself: refused (403 naming one of the policies broken, in message and param)
 * exactly when something is forbidden; otherwise through.
 */
export function expectVerdict(res: Answer, forbidden: PolicyName[], okStatus: number, what: string): boolean {
  const context = `${what}: ${JSON.stringify(res.body)} (forbidden: ${forbidden.join(', ') || 'nothing'})`;
  if (forbidden.length === 0) {
    expect(res.status, context).toBe(okStatus);
    return true;
  }
  expect(res.status, context).toBe(403);
  expect(res.body.error.code, context).toBe('insufficient_permissions');
  const named = String(res.body.error.param).replace(/^policy\./, '') as PolicyName;
  expect(forbidden, context).toContain(named);
  expect(res.body.error.message, context).toContain(named);
  return false;
}

/** A key as stored or answered, held to every policy that a new key is (approval lifts the one it lifts). */
export function expectWithin(policy: AccountPolicy, key: { type: string; rateLimit: RateLimit; expiresAt: string | number | null; budget?: (Budget & Record<string, unknown>) | null }, now: number, what: string): void {
  const expiresAt = key.expiresAt === null ? null : typeof key.expiresAt === 'number' ? key.expiresAt : Date.parse(key.expiresAt);
  const budget = key.budget ? { credits: key.budget.credits, period: key.budget.period } : undefined;
  // A minute of slack for the server's clock being ahead of `now`.
  const violation = policyViolation(policy, { type: key.type as 'viewer', rateLimit: key.rateLimit, expiresAt, budget }, 'approval', now + 60_000);
  expect(violation, `${what}: ${JSON.stringify(key)}`).toBeUndefined();
}
