import { MAX_BUDGET_CREDITS } from '../../lambdas/core/budget';
import type { BudgetPeriod } from '../../lambdas/core/types';
import type { ApiKey, KeyUpdate } from './api';
import type { Pair } from './pair-rows';
import { scopesFor } from './powers';

/**
 * The Edit dialog's form as data: a key becomes a draft (`draftOf`), and a draft becomes the
 * PATCH body of only the fields that changed (`changes`), or the problems that keep it from being
 * sent. Expiry is edited as a UTC `datetime-local` value (`2026-12-31T23:59`). The optional limits
 * (budget, token limit, concurrency cap) are each "none" or a value: their inputs keep what was
 * typed while "none" is chosen, so switching back and forth loses nothing.
 */
export interface Draft {
  name: string;
  metadata: Pair[];
  scopes: string[];
  allModels: boolean;
  models: string[];
  limit: string;
  windowSeconds: string;
  never: boolean;
  expiresAt: string;
  budgetOn: boolean;
  budgetCredits: string;
  budgetPeriod: BudgetPeriod;
  tokensOn: boolean;
  tokens: string;
  tokenWindow: string;
  capOn: boolean;
  maxConcurrent: string;
}

/** The API's bounds (lambdas/http/routes/keys.contract.ts TokenLimitBody, MaxConcurrentBody). */
export const MAX_TOKENS = 10_000_000_000;
export const MAX_TOKEN_WINDOW = 2_592_000;
export const MAX_CONCURRENT = 1000;

export const MAX_METADATA = 20;
const NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,99}$/;

/** An ISO time as a UTC `datetime-local` value, to the minute. */
export function localValue(iso: string | null): string {
  return iso ? new Date(iso).toISOString().slice(0, 16) : '';
}

export function draftOf(key: ApiKey): Draft {
  return {
    name: key.name,
    metadata: Object.entries(key.metadata).map(([name, value]) => ({ name, value })),
    scopes: [...key.scopes],
    allModels: key.models === null,
    models: [...(key.models ?? [])],
    limit: String(key.rateLimit.limit),
    windowSeconds: String(key.rateLimit.windowSeconds),
    never: key.expiresAt === null,
    expiresAt: localValue(key.expiresAt),
    budgetOn: key.budget !== null,
    budgetCredits: key.budget ? String(key.budget.credits) : '',
    budgetPeriod: key.budget?.period ?? 'month',
    tokensOn: key.tokenLimit !== null,
    tokens: key.tokenLimit ? String(key.tokenLimit.tokens) : '',
    tokenWindow: String(key.tokenLimit?.windowSeconds ?? 60),
    capOn: key.maxConcurrent !== null,
    maxConcurrent: key.maxConcurrent === null ? '' : String(key.maxConcurrent),
  };
}

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x) => b.includes(x));

function wholeNumber(text: string, min: number, max: number): number | undefined {
  const n = Number(text.trim());
  return text.trim() !== '' && Number.isInteger(n) && n >= min && n <= max ? n : undefined;
}

/** The PATCH body (only what differs from `key`), or what must be fixed first. */
export function changes(key: ApiKey, draft: Draft, now = Date.now()): { body: KeyUpdate; problems: string[] } {
  const body: KeyUpdate = {};
  const problems: string[] = [];

  const name = draft.name.trim();
  if (!name) problems.push('The key needs a name.');
  else if (name !== key.name) body.name = name;

  const rows = draft.metadata.filter((p) => p.name.trim() || p.value);
  const names = rows.map((p) => p.name.trim());
  if (names.some((n) => !NAME.test(n))) problems.push('Metadata names start with a letter and use only letters, digits, _ . -');
  else if (new Set(names).size !== names.length) problems.push('Each metadata name may appear once.');
  else if (rows.length > MAX_METADATA) problems.push(`A key holds at most ${MAX_METADATA} metadata entries.`);
  else if (rows.some((p) => p.value.length > 256)) problems.push('Metadata values are at most 256 characters.');
  else {
    const metadata = Object.fromEntries(rows.map((p) => [p.name.trim(), p.value]));
    const before = key.metadata;
    const same = sameSet(Object.keys(metadata), Object.keys(before)) && Object.entries(metadata).every(([k, v]) => before[k] === v);
    if (!same) body.metadata = rows.length ? metadata : null;
  }

  const scopes = scopesFor(key.type).filter((s) => draft.scopes.includes(s));
  if (scopes.length === 0) problems.push('Choose at least one scope.');
  else if (!sameSet(scopes, key.scopes)) body.scopes = scopes as KeyUpdate['scopes'];

  if (draft.allModels) {
    if (key.models !== null) body.models = null;
  } else if (draft.models.length === 0) problems.push('Choose at least one model, or every model.');
  else if (key.models === null || !sameSet(draft.models, key.models)) body.models = [...draft.models].sort();

  const limit = wholeNumber(draft.limit, 1, 1_000_000);
  const windowSeconds = wholeNumber(draft.windowSeconds, 1, 86_400);
  if (limit === undefined) problems.push('Requests per window: a whole number from 1 to 1000000.');
  if (windowSeconds === undefined) problems.push('Window: a whole number of seconds from 1 to 86400.');
  if (limit !== undefined && windowSeconds !== undefined && (limit !== key.rateLimit.limit || windowSeconds !== key.rateLimit.windowSeconds)) {
    body.rateLimit = { limit, windowSeconds };
  }

  if (draft.never) {
    if (key.expiresAt !== null) body.expiresAt = null;
  } else if (draft.expiresAt !== localValue(key.expiresAt)) {
    const at = Date.parse(`${draft.expiresAt}:00Z`);
    if (Number.isNaN(at)) problems.push('Choose the expiry date and time (UTC), or Never.');
    else if (at <= now) problems.push('The expiry must be in the future.');
    else body.expiresAt = new Date(at).toISOString();
  }

  limitChanges(key, draft, body, problems);
  return { body, problems };
}

/** Credits as typed: above 0, at most the API's largest budget, to 10⁻⁶ at most (how credits are kept). */
export function budgetCredits(text: string): number | undefined {
  const t = text.trim();
  const n = Number(t);
  return /^\d+(\.\d{1,6})?$/.test(t) && n > 0 && n <= MAX_BUDGET_CREDITS ? n : undefined;
}

/** Budget, token limit and concurrency cap: `null` removes one, a value sets it, unchanged is left out. */
function limitChanges(key: ApiKey, draft: Draft, body: KeyUpdate, problems: string[]): void {
  if (!draft.budgetOn) {
    if (key.budget !== null) body.budget = null;
  } else {
    const credits = budgetCredits(draft.budgetCredits);
    if (credits === undefined) problems.push(`Budget: a number of credits above 0, at most ${MAX_BUDGET_CREDITS}.`);
    else if (credits !== key.budget?.credits || draft.budgetPeriod !== key.budget.period) body.budget = { credits, period: draft.budgetPeriod };
  }

  if (!draft.tokensOn) {
    if (key.tokenLimit !== null) body.tokenLimit = null;
  } else {
    const tokens = wholeNumber(draft.tokens, 1, MAX_TOKENS);
    const windowSeconds = wholeNumber(draft.tokenWindow, 1, MAX_TOKEN_WINDOW);
    if (tokens === undefined) problems.push(`Tokens per window: a whole number from 1 to ${MAX_TOKENS}.`);
    if (windowSeconds === undefined) problems.push(`Token window: a whole number of seconds from 1 to ${MAX_TOKEN_WINDOW} (30 days).`);
    if (tokens !== undefined && windowSeconds !== undefined && (tokens !== key.tokenLimit?.tokens || windowSeconds !== key.tokenLimit.windowSeconds)) {
      body.tokenLimit = { tokens, windowSeconds };
    }
  }

  if (!draft.capOn) {
    if (key.maxConcurrent !== null) body.maxConcurrent = null;
  } else {
    const cap = wholeNumber(draft.maxConcurrent, 1, MAX_CONCURRENT);
    if (cap === undefined) problems.push(`Calls at once: a whole number from 1 to ${MAX_CONCURRENT}.`);
    else if (cap !== key.maxConcurrent) body.maxConcurrent = cap;
  }
}
