import { SCOPES, VIEWER_CEILING } from '../../lambdas/core/scopes';
import { rateWider, widerAxes, type PowerAxis, type Powers } from '../../lambdas/core/authority';
import { formatBudget } from '../../lambdas/core/budget';
import type { Budget, TokenLimit } from '../../lambdas/core/types';
import type { ApiKey, Me, Session } from './api';
import { when } from './format';

/**
 * What the signed-in actor may set on a key, for the Edit dialog to show: the console's reading of
 * SPEC §3's authority rule (lambdas/core/authority.ts `widerAxes`), never its enforcement — the API
 * decides, and refuses a wider edit with 403 whatever the page showed. A person's session (a chat
 * admin) is not bounded by a key; any other session is bounded by its key's own powers (`/v1/me`).
 */
export interface Ceiling {
  /** null: not bounded by a key (a project admin acting in person). */
  actor: Pick<Me, LimitFields> | null;
  /** Why no edit can succeed (the API will say so too), if that is known up front. */
  blocked?: string;
}

type LimitFields = 'type' | 'scopes' | 'rateLimit' | 'models' | 'expiresAt' | 'budget' | 'tokenLimit' | 'maxConcurrent';

interface RateLimit {
  limit: number;
  windowSeconds: number;
}

export function ceilingOf(session: Session, me: Me | undefined): Ceiling {
  if (session.kind === 'person' || !me) return { actor: null };
  const holds = (scope: string) => me.scopes.includes('admin') || me.scopes.includes(scope as (typeof me.scopes)[number]);
  const blocked = holds('keys:write') ? undefined : 'Your key lacks the keys:write permission, so it cannot change keys: the API will refuse any edit.';
  return { actor: me, blocked };
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
  return own && rateWider(wanted, own) ? `wider than your key’s own ${rateText(own)}` : undefined;
}

/** Why "never expires" is refused: the actor itself expires. */
export function neverRefusal(ceiling: Ceiling): string | undefined {
  const end = ceiling.actor?.expiresAt;
  return end ? `your key expires ${when(end)}` : undefined;
}

export function expiryRefusal(ceiling: Ceiling, at: string): string | undefined {
  const end = ceiling.actor?.expiresAt;
  return end && Date.parse(at) > Date.parse(end) ? `after your key expires (${when(end)})` : undefined;
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
  if (!own || !widerOn(ceiling, 'budget', wanted ? { budget: wanted } : {})) return undefined;
  const text = formatBudget(own);
  return wanted ? `wider than your key’s own ${text}` : `your key has a budget (${text})`;
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
