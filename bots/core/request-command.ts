import { parseBudget } from '../../lambdas/core/budget';
import { parseDuration } from '../../lambdas/core/duration';
import { MODEL_ID_PATTERN } from '../../lambdas/core/models';
import { SCOPES } from '../../lambdas/core/scopes';
import type { Budget } from '../../lambdas/core/types';

/**
 * `request <name> [--type viewer|privileged] [--scopes a,b] [--models m] [--budget 20/month]
 * [--expires 30d] --reason "…"` (SPEC §5, issue 25): anyone asks the project's admins for a key.
 * Pure: the words command-grammar.ts split, in; the request's fields or what is wrong, out. What
 * only the API can judge (whether an approver may mint it) is left to the API.
 */
export const REQUEST_FLAGS = ['type', 'scopes', 'models', 'budget', 'expires', 'reason', 'name'] as const;

export interface RequestOptions {
  name: string;
  reason: string;
  type?: 'privileged' | 'viewer';
  scopes?: string[];
  models?: string[];
  budget?: Budget;
  /** A duration such as `30d`, sent as `expiresIn`. */
  expires?: string;
}

/** The API's bounds (lambdas/http/routes/key-requests.contract.ts). */
const MAX_NAME = 200;
const MAX_REASON = 1000;

const words = (value: string | undefined) => (value ?? '').split(/[\s,]+/).map((s) => s.trim()).filter(Boolean);

export function parseRequest(positional: string[], flags: Record<string, string>): { ok: true; options: RequestOptions } | { ok: false; message: string } {
  const name = (flags.name ?? positional.join(' ')).trim();
  if (!name) return { ok: false, message: 'Which key? Name it, e.g. `request "nightly export" --reason "the export job"`.' };
  if (name.length > MAX_NAME) return { ok: false, message: `The name is longer than ${MAX_NAME} characters.` };
  const reason = flags.reason?.trim();
  if (!reason) return { ok: false, message: 'Say why with --reason "…": the admins who decide read it.' };
  if (reason.length > MAX_REASON) return { ok: false, message: `The reason is longer than ${MAX_REASON} characters.` };
  const options: RequestOptions = { name, reason };
  const type = flags.type?.trim().toLowerCase();
  if (type) {
    if (type !== 'viewer' && type !== 'privileged') return { ok: false, message: `--type must be viewer or privileged, not "${type.slice(0, 20)}".` };
    options.type = type;
  }
  const scopes = words(flags.scopes);
  if (scopes.length > 0) {
    const unknown = scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
    if (unknown.length > 0) return { ok: false, message: `Unknown scope ${unknown.map((s) => `"${s.slice(0, 40)}"`).join(', ')}.` };
    options.scopes = [...new Set(scopes)];
  }
  const models = words(flags.models);
  if (models.length > 0) {
    const bad = models.find((m) => !MODEL_ID_PATTERN.test(m));
    if (bad !== undefined) return { ok: false, message: `"${bad.slice(0, 40)}" is not a model id.` };
    options.models = [...new Set(models)].slice(0, 50);
  }
  if (flags.budget !== undefined) {
    const budget = parseBudget(flags.budget);
    if (!budget) return { ok: false, message: `--budget must look like 20/month, 5/day, 50/week or 100/total, not "${flags.budget.slice(0, 20)}".` };
    options.budget = budget;
  }
  const expires = flags.expires?.trim();
  if (expires) {
    const ms = parseDuration(expires);
    if (ms === undefined || ms <= 0) return { ok: false, message: '--expires must look like 90d, 12h, 30m or 45s.' };
    options.expires = expires;
  }
  return { ok: true, options };
}
