import { SCOPES, VIEWER_CEILING } from '../../lambdas/core/scopes';
import { rateWider, widerAxes, type PowerAxis, type Powers } from '../../lambdas/core/authority';
import { budgetWider } from '../../lambdas/core/authority';
import { describePolicy, formatLifetime, type AccountPolicy } from '../../lambdas/core/account-policy';
import { formatBudget } from '../../lambdas/core/budget';
import type { Budget, TokenLimit } from '../../lambdas/core/types';
import type { ApiKey, Me, Session } from './api';
import { when } from './format';

/**
 * What the signed-in actor may set on a key, for the Edit dialog to show: the console's reading of
 * SPEC §3's authority rule (lambdas/core/authority.ts `widerAxes`), never its enforcement — the API
 * decides, and refuses a wider edit with 403 whatever the page showed. A person's session (a chat
 * admin) is not bounded by a key; any other session is bounded by its key's own powers (`/v1/me`).
 * Either is bounded by the account's policy (lambdas/core/account-policy.ts), which the API names
 * in its refusal; the dialogs show it up front where `/v1/me` carries it (`account.policy`).
 */
export interface Ceiling {
  /** null: not bounded by a key (a project admin acting in person). */
  actor: Pick<Me, LimitFields> | null;
  /** The account's policy, when `/v1/me` carries it; absent: none known. */
  policy?: AccountPolicy;
  /** Why no edit can succeed (the API will say so too), if that is known up front. */
  blocked?: string;
}

type LimitFields = 'type' | 'scopes' | 'rateLimit' | 'models' | 'expiresAt' | 'budget' | 'tokenLimit' | 'maxConcurrent';

interface RateLimit {
  limit: number;
  windowSeconds: number;
}

export function ceilingOf(session: Session, me: Me | undefined): Ceiling {
  const policy = policyOf(me);
  const withPolicy = policy ? { policy } : {};
  if (session.kind === 'person' || !me) return { actor: null, ...withPolicy };
  const holds = (scope: string) => me.scopes.includes('admin') || me.scopes.includes(scope as (typeof me.scopes)[number]);
  const blocked = holds('keys:write') ? undefined : 'Your key lacks the keys:write permission, so it cannot change keys: the API will refuse any edit.';
  return { actor: me, blocked, ...withPolicy };
}

/** The account's policy as `/v1/me` answers it (`account.policy`, null for none), read defensively: older servers do not send it. */
export function policyOf(me: Me | undefined): AccountPolicy | undefined {
  const account = me?.account as { policy?: AccountPolicy | null } | null | undefined;
  return account?.policy ?? undefined;
}

/** The policy in one line for the dialogs, or undefined when there is none. */
export function policyLine(ceiling: Ceiling): string | undefined {
  const lines = describePolicy(ceiling.policy);
  return lines.length ? `Account policy: ${lines.join('; ')}.` : undefined;
}

/** Why a new key of this type is refused by the policy, or undefined. */
export function typeRefusal(ceiling: Ceiling, type: 'viewer' | 'privileged'): string | undefined {
  const policy = ceiling.policy;
  if (policy?.allowedKeyTypes && !policy.allowedKeyTypes.includes(type)) return `the account policy allowedKeyTypes allows only ${policy.allowedKeyTypes.join(' and ')} keys`;
  if (type === 'privileged' && policy?.privilegedRequiresApproval) return 'the account policy privilegedRequiresApproval: ask for it as a key request, an admin approves it';
  return undefined;
}

/** Why a lifetime of `ms` from now is refused by the policy, or undefined. */
export function lifetimeRefusal(ceiling: Ceiling, ms: number): string | undefined {
  const max = ceiling.policy?.maxKeyLifetimeSeconds;
  return max !== undefined && ms > max * 1000 ? `beyond the account policy maxKeyLifetimeSeconds (${formatLifetime(max)})` : undefined;
}

/** Why the Automator key is beyond this actor, if it is (only a key holding `admin` changes it). */
export function systemBlocked(ceiling: Ceiling, key: ApiKey): string | undefined {
  if (key.type !== 'system' || !ceiling.actor || ceiling.actor.scopes.includes('admin')) return undefined;
  return 'Only a key holding the admin permission may change the Automator key.';
}

/** A key as the API answers it, in the terms of the authority rule (roles aside: only the API weighs them). */
function powersOf(key: Pick<ApiKey, LimitFields>): Powers {
  return {
    type: key.type,
    scopes: key.scopes,
    roles: [],
    context: {},
    rateLimit: key.rateLimit,
    expiresAt: key.expiresAt === null ? null : Date.parse(key.expiresAt),
    ...(key.models ? { models: key.models } : {}),
    ...(key.budget ? { budget: { credits: key.budget.credits, period: key.budget.period } } : {}),
    ...(key.tokenLimit ? { tokenLimit: key.tokenLimit } : {}),
    ...(key.maxConcurrent !== null ? { maxConcurrent: key.maxConcurrent } : {}),
  };
}

/**
 * The axes on which the key already holds more than the actor (the API's own `widerAxes`, roles
 * aside): the API refuses any edit of such a key. The Automator key has its own rule (`systemBlocked`).
 */
export function beyondActor(ceiling: Ceiling, key: ApiKey): string[] {
  const actor = ceiling.actor;
  if (!actor || key.type === 'system') return [];
  return widerAxes(powersOf(key), powersOf(actor));
}

/** Why no edit of this key can succeed for this actor, if that is known up front. */
export function editBlocked(ceiling: Ceiling, key: ApiKey): string | undefined {
  if (ceiling.blocked) return ceiling.blocked;
  if (key.type === 'system') return systemBlocked(ceiling, key);
  const wider = beyondActor(ceiling, key);
  return wider.length ? `This key already holds more than yours (wider ${wider.join(', ')}): the API refuses any edit of it.` : undefined;
}

/** The scopes a key of this type may hold at all (a Locked-Down Viewer key: the read scopes and the chat runtime). */
export function scopesFor(type: ApiKey['type']): readonly string[] {
  return type === 'viewer' ? VIEWER_CEILING : SCOPES;
}

/** Why checking `scope` is refused, or undefined when it may be chosen. */
export function scopeRefusal(ceiling: Ceiling, scope: string): string | undefined {
  const actor = ceiling.actor;
  if (actor && !actor.scopes.includes('admin') && !(actor.scopes as readonly string[]).includes(scope)) return 'your key does not hold it';
  return undefined;
}

/** Why "every model" is refused: the actor itself may call only some. */
export function allModelsRefusal(ceiling: Ceiling): string | undefined {
  const models = ceiling.actor?.models;
  return models ? `your key may call only ${models.length === 1 ? 'one model' : `${models.length} models`}` : undefined;
}

/** A model outside the actor's own list, if it has one. */
export function modelRefusal(ceiling: Ceiling, model: string): string | undefined {
  const models = ceiling.actor?.models;
  return models && !models.includes(model) ? 'your key may not call it' : undefined;
}

export function rateRefusal(ceiling: Ceiling, wanted: RateLimit): string | undefined {
  const own = ceiling.actor?.rateLimit;
  if (own && rateWider(wanted, own)) return `wider than your key’s own ${rateText(own)}`;
  const max = ceiling.policy?.maxRateLimit;
  return max && rateWider(wanted, max) ? `wider than the account policy maxRateLimit (${rateText(max)})` : undefined;
}

/** Why "never expires" is refused: the actor itself expires. */
export function neverRefusal(ceiling: Ceiling): string | undefined {
  const end = ceiling.actor?.expiresAt;
  if (end) return `your key expires ${when(end)}`;
  const policy = ceiling.policy;
  if (policy?.maxKeyLifetimeSeconds !== undefined) return `the account policy maxKeyLifetimeSeconds: keys live at most ${formatLifetime(policy.maxKeyLifetimeSeconds)}`;
  return policy?.expiryRequired ? 'the account policy expiryRequired: every key expires' : undefined;
}

export function expiryRefusal(ceiling: Ceiling, at: string): string | undefined {
  const end = ceiling.actor?.expiresAt;
  if (end && Date.parse(at) > Date.parse(end)) return `after your key expires (${when(end)})`;
  return lifetimeRefusal(ceiling, Date.parse(at) - Date.now());
}

/**
 * Would the actor's own powers, with only this limit changed to `limits` (absent: none), be wider
 * than the actor on `axis`? The question `widerAxes` answers for the API, asked of one field.
 */
function widerOn(ceiling: Ceiling, axis: PowerAxis, limits: Pick<Powers, 'budget' | 'tokenLimit' | 'maxConcurrent'>): boolean {
  if (!ceiling.actor) return false;
  const own = powersOf(ceiling.actor);
  const { budget: _b, tokenLimit: _t, maxConcurrent: _m, ...rest } = own;
  return widerAxes({ ...rest, ...limits }, own).includes(axis);
}

/** Why this budget (null: none) is refused: no budget when the actor has one, or a wider one. */
export function budgetRefusal(ceiling: Ceiling, wanted: Budget | null): string | undefined {
  const own = ceiling.actor?.budget;
  if (own && widerOn(ceiling, 'budget', wanted ? { budget: wanted } : {})) {
    const text = formatBudget(own);
    return wanted ? `wider than your key’s own ${text}` : `your key has a budget (${text})`;
  }
  const max = ceiling.policy?.maxBudget;
  if (!max) return undefined;
  if (!wanted) return `the account policy maxBudget: every key has a budget of at most ${formatBudget(max)}`;
  return budgetWider(wanted, max) ? `wider than the account policy maxBudget (${formatBudget(max)})` : undefined;
}

/** Why this token limit (null: none) is refused. */
export function tokenLimitRefusal(ceiling: Ceiling, wanted: TokenLimit | null): string | undefined {
  const own = ceiling.actor?.tokenLimit;
  if (!own || !widerOn(ceiling, 'token limit', wanted ? { tokenLimit: wanted } : {})) return undefined;
  return wanted ? `wider than your key’s own ${tokenText(own)}` : `your key is limited to ${tokenText(own)}`;
}

/** Why this concurrency cap (null: none) is refused. */
export function concurrencyRefusal(ceiling: Ceiling, wanted: number | null): string | undefined {
  const own = ceiling.actor?.maxConcurrent;
  if (own === undefined || own === null || !widerOn(ceiling, 'concurrency', wanted === null ? {} : { maxConcurrent: wanted })) return undefined;
  return wanted === null ? `your key allows at most ${concurrencyText(own)}` : `more than your key’s own ${concurrencyText(own)}`;
}

/** `100000 tokens per 60 s`. */
export function tokenText(limit: TokenLimit): string {
  return `${limit.tokens} token${limit.tokens === 1 ? '' : 's'} per ${limit.windowSeconds} s`;
}

/** `4 calls at once`. */
export function concurrencyText(n: number): string {
  return `${n} call${n === 1 ? '' : 's'} at once`;
}

/** `100 requests per 60 s`. */
export function rateText(rate: RateLimit): string {
  return `${rate.limit} request${rate.limit === 1 ? '' : 's'} per ${rate.windowSeconds} s`;
}
