import { parseBudget } from '../../lambdas/core/budget';
import { parseDuration } from '../../lambdas/core/duration';
import { SCOPES } from '../../lambdas/core/scopes';
import type { CallInput } from '../../lambdas/http/client';

/**
 * `request-ceiling set [--type viewer|privileged] [--scopes a,b] [--budget 20/month] [--expires 30d]`,
 * `request-ceiling show`, `request-ceiling clear` (issue 25 point 1): an admin bounds what requests
 * from the channel they type it in may ask for. The channel is the edge's, from the verified
 * platform payload, never from the text; whether the person may is the API's decision
 * (`POST|GET|DELETE /v1/key-requests/ceilings`, a key manager only, refused and audited otherwise).
 * Pure, like request-command.ts: the words command-grammar.ts split, in; the command or what is
 * wrong, out. Running it is request-ceiling-runner.ts.
 */
export const REQUEST_CEILING_FLAGS = ['type', 'scopes', 'budget', 'expires'] as const;

export type CeilingBody = CallInput<'setKeyRequestCeiling'>['body']['ceiling'];
export type CeilingCommand = { action: 'set'; ceiling: CeilingBody } | { action: 'show' } | { action: 'clear' };

const words = (value: string | undefined) => (value ?? '').split(/[\s,]+/).map((s) => s.trim()).filter(Boolean);

export function parseRequestCeiling(positional: string[], flags: Record<string, string>): { ok: true; command: CeilingCommand } | { ok: false; message: string } {
  const action = positional[0]?.toLowerCase();
  if (positional.length > 1) return { ok: false, message: 'Usage: `request-ceiling set [--type viewer|privileged] [--scopes a,b] [--budget 20/month] [--expires 30d]`, `request-ceiling show` or `request-ceiling clear`.' };
  if (action === 'show' || action === 'clear') {
    return Object.keys(flags).length ? { ok: false, message: `\`request-ceiling ${action}\` takes no options.` } : { ok: true, command: { action } };
  }
  if (action !== 'set') return { ok: false, message: 'Say `request-ceiling set …`, `request-ceiling show` or `request-ceiling clear`.' };
  const ceiling: CeilingBody = {};
  const type = flags.type?.trim().toLowerCase();
  if (type) {
    if (type !== 'viewer' && type !== 'privileged') return { ok: false, message: `--type must be viewer or privileged, not "${type.slice(0, 20)}".` };
    ceiling.type = type;
  }
  const scopes = words(flags.scopes);
  if (scopes.length) {
    const unknown = scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
    if (unknown.length) return { ok: false, message: `Unknown scope ${unknown.map((s) => `"${s.slice(0, 40)}"`).join(', ')}.` };
    ceiling.scopes = [...new Set(scopes)] as NonNullable<CeilingBody['scopes']>;
  }
  if (flags.budget !== undefined) {
    const budget = parseBudget(flags.budget);
    if (!budget) return { ok: false, message: `--budget must look like 20/month, 5/day, 50/week or 100/total, not "${flags.budget.slice(0, 20)}".` };
    ceiling.budget = budget;
  }
  const expires = flags.expires?.trim();
  if (expires) {
    const ms = parseDuration(expires);
    if (ms === undefined || ms <= 0) return { ok: false, message: '--expires must look like 90d, 12h, 30m or 45s.' };
    ceiling.expiresIn = expires;
  }
  if (!Object.keys(ceiling).length) return { ok: false, message: 'Set at least one of --type, --scopes, --budget or --expires (or `request-ceiling clear` to lift it).' };
  return { ok: true, command: { action: 'set', ceiling } };
}
