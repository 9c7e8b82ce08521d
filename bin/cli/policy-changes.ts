import { InvalidArgumentError } from 'commander';
import { POLICY_NAMES, type AccountPolicy } from '../../lambdas/core/account-policy';
import { parseDuration } from '../../lambdas/core/duration';
import { OperatorError } from '../../lambdas/local/operator-errors';
import { parseBudgetOption, parseRateLimit } from './key-changes';

/** `accounts policy set`'s words turned into the policy's fields (policy-commands.ts); the service validates the result. */

export interface SetOptions {
  maxLifetime?: string;
  expiryRequired?: string;
  allowedTypes?: string;
  maxRateLimit?: string;
  maxBudget?: string;
  privilegedRequiresApproval?: string;
}

export const onOff = (name: string) => (v: string) => {
  if (v !== 'on' && v !== 'off') throw new InvalidArgumentError(`${name} is on or off`);
  return v;
};

/** The policy with the named limits changed (`off`: lifted). */
export function changedPolicy(current: AccountPolicy, o: SetOptions): AccountPolicy {
  const next: Record<string, unknown> = Object.fromEntries(POLICY_NAMES.filter((n) => current[n] !== undefined).map((n) => [n, current[n]]));
  const set = (name: keyof AccountPolicy, value: string | undefined, parse: (v: string) => unknown) => {
    if (value === undefined) return;
    if (value === 'off') delete next[name];
    else next[name] = parse(value);
  };
  set('maxKeyLifetimeSeconds', o.maxLifetime, (v) => {
    const ms = parseDuration(v);
    if (!ms) throw new OperatorError('--max-lifetime looks like 90d or 36h (or off)');
    return ms / 1000;
  });
  set('expiryRequired', o.expiryRequired, () => true);
  set('allowedKeyTypes', o.allowedTypes, (v) => v.split(',').map((t) => t.trim()).filter(Boolean));
  set('maxRateLimit', o.maxRateLimit, parseRateLimit);
  set('maxBudget', o.maxBudget, parseBudgetOption);
  set('privilegedRequiresApproval', o.privilegedRequiresApproval, () => true);
  return next as AccountPolicy;
}

