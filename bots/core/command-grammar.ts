import { parseBudget } from '../../lambdas/core/budget';
import { parseDuration } from '../../lambdas/core/duration';
import { PREFIX_PATTERN } from '../../lambdas/core/key-format';
import { SCOPES } from '../../lambdas/core/scopes';
import type { Budget } from '../../lambdas/core/types';
import { parseRequest, REQUEST_FLAGS, type RequestOptions } from './request-command';
import { KEY_REQUEST_ID_PATTERN } from '../../lambdas/core/key-request-record';
import { parseRequestCeiling, REQUEST_CEILING_FLAGS, type CeilingCommand } from './request-ceiling-command';
import { closest, splitFlags, tokenize } from './command-words';

export { editDistance, tokenize } from './command-words';

/**
 * The command grammar both bots share (SPEC §5). Pure: text in, a tagged parse result out.
 *
 *   help [command]
 *   list [search]
 *   show <key>
 *   create [name] [--type viewer|privileged] [--scopes a,b] [--expires 90d] [--prefix p]
 *   rotate <key> [--overlap 1h]
 *   revoke <key>
 *   delete <key>
 *   exposed <key>                        (report a key exposed: anyone may; the API decides)
 *   pause <key>
 *   resume <key>
 *   limit <key> <requests>/<window>      (100/1m, 100/60s, 6000/1h)
 *   budget <key> <credits>/<period>|none (20/month, 5/day, 50/week, 100/total)
 *   audit <key>
 *   usage [key]
 *   whoami
 *   console
 *   request <name> [--type t] [--scopes a,b] [--models m] [--budget 20/month] [--expires 30d] --reason "…"
 *                                        (anyone: the admins approve or deny; request-command.ts)
 *   collect <request-id>                 (the requester: the approved key, once, privately)
 *   request-ceiling set [--type t] [--scopes a,b] [--budget 20/month] [--expires 30d] | show | clear
 *                                        (admins: bounds requests from this channel; request-ceiling-command.ts)
 *
 * `<key>` is a name, id or visible start. Arguments may be quoted ("CI deploy"); flags take
 * `--flag value` or `--flag=value`; the em/en dashes that chat clients substitute for `--` count
 * (the words themselves: command-words.ts).
 */
export const COMMAND_NAMES = ['help', 'list', 'show', 'create', 'rotate', 'revoke', 'delete', 'exposed', 'pause', 'resume', 'limit', 'budget', 'audit', 'usage', 'whoami', 'console', 'request', 'collect', 'request-ceiling'] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];
export const ADMIN_COMMANDS: readonly CommandName[] = ['create', 'rotate', 'revoke', 'delete', 'pause', 'resume', 'limit', 'budget', 'console', 'request-ceiling'];

export const MAX_OVERLAP = '7d';
const MAX_OVERLAP_MS = 7 * 86_400_000;

/** The bounds of a key's rate limit (the API's: lambdas/http/routes/keys.contract.ts). */
export const MAX_RATE_LIMIT = 1_000_000;
export const MAX_RATE_WINDOW_S = 86_400;

/** A key's rate limit: at most `limit` requests per `windowSeconds`. */
export interface RateLimit {
  limit: number;
  windowSeconds: number;
}

export interface CreateOptions {
  name?: string;
  type?: 'privileged' | 'viewer';
  scopes?: string[];
  /** A duration such as `90d`, sent as `expiresIn`. */
  expires?: string;
  prefix?: string;
}

export type Command =
  | { name: 'help'; topic?: CommandName }
  | { name: 'list'; search?: string }
  | { name: 'show'; key: string }
  | { name: 'revoke'; key: string }
  | { name: 'delete'; key: string }
  | { name: 'exposed'; key: string }
  | { name: 'audit'; key: string }
  | { name: 'rotate'; key: string; overlap?: string }
  /** Pause (disable) or resume (enable) a key: it stays listed with its settings. */
  | { name: 'pause' | 'resume'; key: string }
  | { name: 'limit'; key: string; rateLimit: RateLimit }
  /** A key's spending cap per UTC period, or `null` to remove it (`budget <key> none`). */
  | { name: 'budget'; key: string; budget: Budget | null }
  /** `interactive`: no arguments at all — a platform with forms (Slack modal) asks for the fields. */
  | { name: 'create'; options: CreateOptions; interactive: boolean }
  /** Today's calls, tokens and credits: of one key, or the project's and its top keys. */
  | { name: 'usage'; key?: string }
  | { name: 'whoami' }
  /** A one-time sign-in link to the web console, for an admin, privately. */
  | { name: 'console' }
  /** Ask the admins for a key (anyone): approved, it is delivered to the asker privately. */
  | { name: 'request'; options: RequestOptions }
  /** The requester collects an approved request's key, once (key-request-approvals.ts). */
  | { name: 'collect'; requestId: string }
  /** An admin sets, shows or lifts the ceiling on requests from the channel it is said in (the edge's, never the text's). */
  | { name: 'request-ceiling'; ceiling: CeilingCommand };

export type ParseResult =
  | { ok: true; command: Command }
  | { ok: false; reason: 'empty' }
  | { ok: false; reason: 'unknown_command'; word: string; suggestion?: CommandName }
  | { ok: false; reason: 'invalid'; command: CommandName; message: string };

export interface HelpEntry {
  name: CommandName;
  usage: string;
  summary: string;
  adminOnly: boolean;
}

export const HELP: readonly HelpEntry[] = [
  { name: 'help', usage: 'help', summary: 'Show these commands.', adminOnly: false },
  { name: 'list', usage: 'list [search]', summary: 'List the project’s keys, or those matching a name, id or start.', adminOnly: false },
  { name: 'show', usage: 'show <key>', summary: 'Show one key’s details.', adminOnly: false },
  {
    name: 'create',
    usage: 'create [name] [--type viewer|privileged] [--scopes a,b] [--expires 90d] [--prefix p]',
    summary: 'Create a key; the value is sent only to you, privately.',
    adminOnly: true,
  },
  { name: 'rotate', usage: 'rotate <key> [--overlap 1h]', summary: 'Replace a key; the old one stops now or after the overlap (≤ 7d).', adminOnly: true },
  { name: 'revoke', usage: 'revoke <key>', summary: 'Stop a key at once; it stays listed.', adminOnly: true },
  { name: 'delete', usage: 'delete <key>', summary: 'Remove a key.', adminOnly: true },
  { name: 'exposed', usage: 'exposed <key>', summary: 'Report a key exposed (seen where it must not be): it stops at once and the admins are told.', adminOnly: false },
  { name: 'pause', usage: 'pause <key>', summary: 'Pause a key: its calls are refused until it is resumed; it keeps its settings.', adminOnly: true },
  { name: 'resume', usage: 'resume <key>', summary: 'Resume a paused key, at once.', adminOnly: true },
  {
    name: 'limit',
    usage: 'limit <key> <requests>/<window>',
    summary: 'Set a key’s rate limit, e.g. `100/1m`, `100/60s` or `6000/1h` (requests per window, at most 1d).',
    adminOnly: true,
  },
  {
    name: 'budget',
    usage: 'budget <key> <credits>/<period>|none',
    summary: 'Set a key’s spending cap, e.g. `20/month`, `5/day`, `50/week` or `100/total` (credits per UTC period); `none` removes it.',
    adminOnly: true,
  },
  { name: 'audit', usage: 'audit <key>', summary: 'Show who did what to a key.', adminOnly: false },
  {
    name: 'usage',
    usage: 'usage [key]',
    summary: 'Calls, tokens and credits today — and in a key’s budget period, with what it has spent — of one key, or of the project with its top keys.',
    adminOnly: false,
  },
  { name: 'whoami', usage: 'whoami', summary: 'Show who you are to Keywarden and whether you are an admin.', adminOnly: false },
  { name: 'console', usage: 'console', summary: 'Get a one-time link (5 minutes) that signs you in to the API Keys console.', adminOnly: true },
  {
    name: 'request',
    usage: 'request <name> [--type viewer|privileged] [--scopes a,b] [--models m] [--budget 20/month] [--expires 30d] --reason "…"',
    summary: 'Ask the project’s admins for a key; approved, it is sent only to you, privately.',
    adminOnly: false,
  },
  { name: 'collect', usage: 'collect <request-id>', summary: 'Collect the key of your approved request (kreq_…), once, privately.', adminOnly: false },
  {
    name: 'request-ceiling',
    usage: 'request-ceiling set [--type viewer|privileged] [--scopes a,b] [--budget 20/month] [--expires 30d] | show | clear',
    summary: 'Bound what `request` may ask for in this channel: requests beyond it are refused with the reason. Said in the channel itself.',
    adminOnly: true,
  },
];

const FLAGS: Record<CommandName, readonly string[]> = {
  help: [],
  list: [],
  show: [],
  create: ['type', 'scopes', 'expires', 'prefix', 'name'],
  rotate: ['overlap'],
  revoke: [],
  delete: [],
  exposed: [],
  pause: [],
  resume: [],
  limit: [],
  budget: [],
  audit: [],
  usage: [],
  whoami: [],
  console: [],
  request: REQUEST_FLAGS,
  collect: [],
  'request-ceiling': REQUEST_CEILING_FLAGS,
};

export function isCommandName(word: string): word is CommandName {
  return (COMMAND_NAMES as readonly string[]).includes(word);
}

/** The first word of `text`, lower-cased, when it names a command exactly. */
export function commandWord(text: string): CommandName | undefined {
  const word = tokenize(text)[0]?.toLowerCase();
  return word !== undefined && isCommandName(word) ? word : undefined;
}

export function parseCommand(text: string): ParseResult {
  const tokens = tokenize(text);
  const first = tokens.shift();
  if (first === undefined) return { ok: false, reason: 'empty' };
  const word = first.toLowerCase();
  if (!isCommandName(word)) {
    const suggestion = suggestCommand(word);
    return { ok: false, reason: 'unknown_command', word: first.slice(0, 40), ...(suggestion ? { suggestion } : {}) };
  }
  const split = splitFlags(tokens, FLAGS[word]);
  if (!split.ok) return { ok: false, reason: 'invalid', command: word, message: split.message };
  const { positional, flags } = split;
  const invalid = (message: string): ParseResult => ({ ok: false, reason: 'invalid', command: word, message });
  const rest = positional.join(' ').trim();

  switch (word) {
    case 'help': {
      const topic = positional[0]?.toLowerCase();
      return { ok: true, command: topic && isCommandName(topic) ? { name: 'help', topic } : { name: 'help' } };
    }
    case 'whoami':
      return { ok: true, command: { name: 'whoami' } };
    case 'console':
      return { ok: true, command: { name: 'console' } };
    case 'list':
      return { ok: true, command: rest ? { name: 'list', search: rest } : { name: 'list' } };
    case 'usage':
      return { ok: true, command: rest ? { name: 'usage', key: rest } : { name: 'usage' } };
    case 'show':
    case 'revoke':
    case 'delete':
    case 'exposed':
    case 'pause':
    case 'resume':
    case 'audit':
      if (!rest) return invalid(`Which key? Usage: ${usage(word)}`);
      return { ok: true, command: { name: word, key: rest } };
    case 'rotate': {
      if (!rest) return invalid(`Which key? Usage: ${usage('rotate')}`);
      const overlap = flags.overlap;
      if (overlap !== undefined) {
        const problem = durationProblem('overlap', overlap, MAX_OVERLAP_MS);
        if (problem) return invalid(problem);
      }
      return { ok: true, command: overlap === undefined ? { name: 'rotate', key: rest } : { name: 'rotate', key: rest, overlap } };
    }
    case 'limit': {
      // The last word is the limit; everything before it names the key (a name may have spaces).
      const rate = positional.length > 1 ? positional[positional.length - 1]! : undefined;
      const key = positional.slice(0, -1).join(' ').trim();
      if (!rate || !key) return invalid(`Which key, and what limit? Usage: ${usage('limit')}`);
      const parsed = parseRateLimit(rate);
      if (!parsed.ok) return invalid(parsed.message);
      return { ok: true, command: { name: 'limit', key, rateLimit: parsed.rateLimit } };
    }
    case 'budget': {
      // Like limit: the last word is the budget, the words before it name the key.
      const amount = positional.length > 1 ? positional[positional.length - 1]! : undefined;
      const key = positional.slice(0, -1).join(' ').trim();
      if (!amount || !key) return invalid(`Which key, and what budget? Usage: ${usage('budget')}`);
      const parsed = parseBudgetWord(amount);
      if (!parsed.ok) return invalid(parsed.message);
      return { ok: true, command: { name: 'budget', key, budget: parsed.budget } };
    }
    case 'request': {
      const asked = parseRequest(positional, flags);
      return asked.ok ? { ok: true, command: { name: 'request', options: asked.options } } : invalid(asked.message);
    }
    case 'collect': {
      const id = positional.join(' ').trim();
      return KEY_REQUEST_ID_PATTERN.test(id) ? { ok: true, command: { name: 'collect', requestId: id } } : invalid(`Which request? Usage: ${usage('collect')}`);
    }
    case 'request-ceiling': {
      const asked = parseRequestCeiling(positional, flags);
      return asked.ok ? { ok: true, command: { name: 'request-ceiling', ceiling: asked.command } } : invalid(asked.message);
    }
    case 'create': {
      if (tokens.length === 0) return { ok: true, command: { name: 'create', options: {}, interactive: true } };
      const checked = validateCreateOptions({
        name: flags.name ?? (rest || undefined),
        type: flags.type,
        scopes: flags.scopes,
        expires: flags.expires,
        prefix: flags.prefix,
      });
      if (!checked.ok) return invalid(checked.message);
      return { ok: true, command: { name: 'create', options: checked.options, interactive: false } };
    }
  }
}

/** Raw create fields (from flags or a form), checked the same way wherever they come from. */
export interface RawCreateFields {
  name?: string;
  type?: string;
  /** Comma- or space-separated, or already a list. */
  scopes?: string | string[];
  expires?: string;
  prefix?: string;
}

export function validateCreateOptions(raw: RawCreateFields): { ok: true; options: CreateOptions } | { ok: false; field: keyof RawCreateFields; message: string } {
  const options: CreateOptions = {};
  const name = raw.name?.trim();
  if (name) {
    if (name.length > 200) return { ok: false, field: 'name', message: 'The name is longer than 200 characters.' };
    options.name = name;
  }
  const type = raw.type?.trim().toLowerCase();
  if (type) {
    if (type !== 'viewer' && type !== 'privileged') {
      return { ok: false, field: 'type', message: `--type must be viewer or privileged, not "${type.slice(0, 20)}".` };
    }
    options.type = type;
  }
  const scopes = (Array.isArray(raw.scopes) ? raw.scopes : (raw.scopes ?? '').split(/[\s,]+/)).map((s) => s.trim()).filter(Boolean);
  if (scopes.length > 0) {
    const unknown = scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
    if (unknown.length > 0) {
      const hint = closest(unknown[0]!, SCOPES);
      return {
        ok: false,
        field: 'scopes',
        message: `Unknown scope ${unknown.map((s) => `"${s.slice(0, 40)}"`).join(', ')}.${hint ? ` Did you mean ${hint}?` : ''}`,
      };
    }
    options.scopes = [...new Set(scopes)];
  }
  const expires = raw.expires?.trim();
  if (expires) {
    const problem = durationProblem('expires', expires);
    if (problem) return { ok: false, field: 'expires', message: problem };
    options.expires = expires;
  }
  const prefix = raw.prefix?.trim();
  if (prefix) {
    if (!PREFIX_PATTERN.test(prefix)) {
      return { ok: false, field: 'prefix', message: '--prefix must be 2–12 lowercase letters or digits, starting with a letter.' };
    }
    options.prefix = prefix;
  }
  return { ok: true, options };
}

/**
 * `100/1m`, `100/60s`, `6000/1h`, `100/m` (one minute) → requests per window in seconds, within the
 * API's bounds (1–1,000,000 requests, 1 s–1 d).
 */
export function parseRateLimit(text: string): { ok: true; rateLimit: RateLimit } | { ok: false; message: string } {
  const m = /^(\d{1,9})\/(\d{0,6})([smhd])$/i.exec(text.trim().replace(/[,_](?=\d{3})/g, ''));
  const windowMs = m ? parseDuration(`${m[2] || '1'}${m[3]!.toLowerCase()}`) : undefined;
  if (!m || windowMs === undefined || windowMs <= 0) {
    return { ok: false, message: `The limit must look like 100/1m, 100/60s or 6000/1h (requests per window), not "${text.slice(0, 20)}".` };
  }
  const limit = Number(m[1]);
  const windowSeconds = windowMs / 1000;
  if (limit < 1 || limit > MAX_RATE_LIMIT) return { ok: false, message: `The number of requests must be between 1 and ${MAX_RATE_LIMIT.toLocaleString('en-US')}.` };
  if (windowSeconds > MAX_RATE_WINDOW_S) return { ok: false, message: 'The window can be at most 1d.' };
  return { ok: true, rateLimit: { limit, windowSeconds } };
}

/** `{ limit: 100, windowSeconds: 60 }` → `100/1m`: the largest whole unit, as the grammar reads it back. */
export function formatRateLimit(rateLimit: RateLimit): string {
  const w = rateLimit.windowSeconds;
  const window = w % 86_400 === 0 ? `${w / 86_400}d` : w % 3600 === 0 ? `${w / 3600}h` : w % 60 === 0 ? `${w / 60}m` : `${w}s`;
  return `${rateLimit.limit}/${window}`;
}

/** `20/month` → the budget (lambdas/core/budget.ts reads it, as every surface does); `none` → no budget. */
export function parseBudgetWord(text: string): { ok: true; budget: Budget | null } | { ok: false; message: string } {
  if (/^(none|off|remove)$/i.test(text.trim())) return { ok: true, budget: null };
  const budget = parseBudget(text);
  if (!budget) {
    return { ok: false, message: `The budget must look like 20/month, 5/day, 50/week or 100/total (credits per period, at most 1,000,000,000), or none — not "${text.slice(0, 20)}".` };
  }
  return { ok: true, budget };
}

export function usage(name: CommandName): string {
  return HELP.find((h) => h.name === name)!.usage;
}

function durationProblem(flag: string, value: string, maxMs?: number): string | undefined {
  const ms = parseDuration(value);
  if (ms === undefined || ms <= 0) return `--${flag} must look like 90d, 12h, 30m or 45s.`;
  if (maxMs !== undefined && ms > maxMs) return `--${flag} can be at most ${MAX_OVERLAP}.`;
  return undefined;
}

/** "Did you mean": the command name within edit distance 2 (or sharing a 3-letter start). */
export function suggestCommand(word: string): CommandName | undefined {
  return closest(word.toLowerCase(), COMMAND_NAMES);
}
