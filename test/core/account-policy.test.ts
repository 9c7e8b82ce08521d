import { describe, expect, it } from 'vitest';
import { AccountPolicySchema } from '../../lambdas/core/account-policy-schema';
import {
  describePolicy,
  isEmptyPolicy,
  policyBudget,
  policyExpiry,
  policyRate,
  policyViolation,
  publicPolicy,
  type AccountPolicy,
  type PolicyPowers,
} from '../../lambdas/core/account-policy';
import { refusedPolicy, policyError } from '../../lambdas/core/account-policy-gate';
import { budgetWider, rateWider } from '../../lambdas/core/authority';

/** The check itself, pure (account-policy.ts); every path's use of it: test/http/policies/. */
const NOW = Date.UTC(2026, 11, 6);
const DAY = 86_400_000;
const key = (over: Partial<PolicyPowers> = {}): PolicyPowers => ({
  type: 'viewer',
  rateLimit: { limit: 60, windowSeconds: 60 },
  expiresAt: NOW + 30 * DAY,
  budget: { credits: 10, period: 'month' },
  ...over,
});
const violated = (policy: AccountPolicy, k: PolicyPowers, path: 'create' | 'approval' | 'update' | 'rotate' = 'create', touches?: ('expiresAt' | 'rateLimit' | 'budget')[]) =>
  policyViolation(policy, k, path, NOW, touches)?.policy;

describe('account policies, the check', () => {
  it('no policy, or an empty one, refuses nothing', () => {
    expect(violated({}, key({ type: 'privileged', expiresAt: null, budget: undefined }))).toBeUndefined();
    expect(policyViolation(undefined, key({ expiresAt: null }), 'create', NOW)).toBeUndefined();
    expect(isEmptyPolicy({ expiryRequired: false })).toBe(true);
    expect(describePolicy({})).toEqual([]);
  });

  it('names the policy each key breaks', () => {
    expect(violated({ maxKeyLifetimeSeconds: 7 * 86_400 }, key())).toBe('maxKeyLifetimeSeconds');
    expect(violated({ maxKeyLifetimeSeconds: 30 * 86_400 }, key())).toBeUndefined();
    expect(violated({ maxKeyLifetimeSeconds: 30 * 86_400 }, key({ expiresAt: null }))).toBe('maxKeyLifetimeSeconds');
    expect(violated({ expiryRequired: true }, key({ expiresAt: null }))).toBe('expiryRequired');
    expect(violated({ expiryRequired: true }, key())).toBeUndefined();
    expect(violated({ allowedKeyTypes: ['viewer'] }, key({ type: 'privileged' }))).toBe('allowedKeyTypes');
    expect(violated({ allowedKeyTypes: ['viewer'] }, key())).toBeUndefined();
    expect(violated({ maxRateLimit: { limit: 10, windowSeconds: 60 } }, key())).toBe('maxRateLimit');
    // Same burst, higher sustained rate: wider.
    expect(violated({ maxRateLimit: { limit: 60, windowSeconds: 120 } }, key())).toBe('maxRateLimit');
    expect(violated({ maxRateLimit: { limit: 60, windowSeconds: 60 } }, key())).toBeUndefined();
    expect(violated({ maxBudget: { credits: 5, period: 'month' } }, key())).toBe('maxBudget');
    expect(violated({ maxBudget: { credits: 10, period: 'month' } }, key({ budget: undefined }))).toBe('maxBudget');
    expect(violated({ maxBudget: { credits: 10, period: 'week' } }, key())).toBeUndefined();
    expect(violated({ privilegedRequiresApproval: true }, key({ type: 'privileged' }))).toBe('privilegedRequiresApproval');
  });

  it('approval is the way to a privileged key under privilegedRequiresApproval; rotation cuts the lifetime instead of refusing', () => {
    const policy: AccountPolicy = { privilegedRequiresApproval: true, maxKeyLifetimeSeconds: 86_400 };
    expect(violated(policy, key({ type: 'privileged', expiresAt: NOW + DAY }), 'approval')).toBeUndefined();
    expect(violated(policy, key({ type: 'privileged', expiresAt: NOW + DAY }), 'rotate')).toBeUndefined();
    expect(violated(policy, key({ type: 'privileged', expiresAt: NOW + 2 * DAY }), 'approval')).toBe('maxKeyLifetimeSeconds');
    expect(violated({ allowedKeyTypes: ['viewer'] }, key({ type: 'privileged' }), 'approval')).toBe('allowedKeyTypes');
    expect(violated({ allowedKeyTypes: ['viewer'] }, key({ type: 'privileged' }), 'rotate')).toBe('allowedKeyTypes');
    expect(policyExpiry(policy, NOW + 365 * DAY, NOW, 365 * DAY)).toBe(NOW + DAY);
    expect(policyExpiry(policy, null, NOW, 365 * DAY)).toBe(NOW + DAY);
    expect(policyExpiry({ expiryRequired: true }, null, NOW, 365 * DAY)).toBe(NOW + 365 * DAY);
    expect(policyExpiry({}, null, NOW, 365 * DAY)).toBeNull();
  });

  it('an edit is held to the policy only on the fields it sets', () => {
    const policy: AccountPolicy = { maxRateLimit: { limit: 10, windowSeconds: 60 }, maxBudget: { credits: 1, period: 'day' }, allowedKeyTypes: ['viewer'] };
    const legacy = key({ type: 'privileged' });
    expect(violated(policy, legacy, 'update', [])).toBeUndefined();
    expect(violated(policy, legacy, 'update', ['expiresAt'])).toBeUndefined();
    expect(violated(policy, legacy, 'update', ['rateLimit'])).toBe('maxRateLimit');
    expect(violated(policy, legacy, 'update', ['budget'])).toBe('maxBudget');
  });

  it('defaults are cut to the policy, never wider than it', () => {
    const max = { limit: 100, windowSeconds: 3600 };
    const rate = policyRate({ maxRateLimit: max }, { limit: 600, windowSeconds: 60 });
    expect(rateWider(rate, max)).toBe(false);
    expect(policyRate({ maxRateLimit: max }, { limit: 5, windowSeconds: 60 })).toEqual({ limit: 5, windowSeconds: 3600 });
    expect(policyRate({}, { limit: 600, windowSeconds: 60 })).toEqual({ limit: 600, windowSeconds: 60 });
    const maxBudget = { credits: 100, period: 'month' as const };
    expect(policyBudget({ maxBudget }, undefined)).toEqual(maxBudget);
    const cut = policyBudget({ maxBudget }, { credits: 20, period: 'day' })!;
    expect(budgetWider(cut, maxBudget) || budgetWider(cut, { credits: 20, period: 'day' })).toBe(false);
    expect(policyBudget({ maxBudget }, { credits: 5, period: 'total' })).toEqual({ credits: 5, period: 'total' });
  });

  it('shows the account’s keys the limits, not who set them (publicPolicy, for GET /v1/me)', () => {
    expect(publicPolicy({ maxBudget: { credits: 1, period: 'day' }, updatedBy: 'cli:ops', updatedAt: '2026-12-06T00:00:00Z' })).toEqual({ maxBudget: { credits: 1, period: 'day' } });
    expect(publicPolicy(undefined)).toBeNull();
    expect(publicPolicy({ expiryRequired: false, updatedBy: 'cli:ops' })).toBeNull();
  });

  it('is validated with zod: unknown fields, repeated types and out-of-range values are refused', () => {
    expect(AccountPolicySchema.safeParse({ maxKeyLifetimeSeconds: 90 * 86_400, allowedKeyTypes: ['viewer'] }).success).toBe(true);
    for (const bad of [{ maxKeyLifetimeSeconds: 60 }, { allowedKeyTypes: ['system'] }, { allowedKeyTypes: ['viewer', 'viewer'] }, { allowedKeyTypes: [] }, { maxBudget: { credits: 0, period: 'day' } }, { bogus: true }]) {
      expect(AccountPolicySchema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
  });

  it('a refusal is 403 insufficient_permissions naming the policy, in the message and in param', () => {
    const err = policyError({ policy: 'maxBudget', message: 'Account policy maxBudget: …' });
    expect(err).toMatchObject({ code: 'insufficient_permissions', context: { param: 'policy.maxBudget' } });
    expect(err.message).toContain('maxBudget');
    expect(refusedPolicy({ code: 'insufficient_permissions', param: 'policy.maxBudget' })).toBe('maxBudget');
    expect(refusedPolicy({ code: 'insufficient_permissions', param: 'X-Keywarden-Actor' })).toBeUndefined();
  });
});
