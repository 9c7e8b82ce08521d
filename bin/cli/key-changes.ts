import { InvalidArgumentError } from 'commander';
import { parseDuration } from '../../lambdas/core/duration';
import type { KeyChanges } from '../../lambdas/core/key-service';
import type { Scope } from '../../lambdas/core/scopes';
import { formatBudget, parseBudget } from '../../lambdas/core/budget';
import type { Budget, RateLimit, TokenLimit } from '../../lambdas/core/types';
import type { ApiKey, CallInput } from '../../lambdas/http/client';
import { MetadataSchema } from '../../lambdas/http/routes/keys.contract';
import { OperatorError } from '../../lambdas/local/operator-errors';

/**
 * `keys update` between the command line and the two places an edit goes: the options as typed
 * turned into the API's edit (`updateBody`) or the core's (`coreChanges`, operator mode), and the
 * change said back as before → after (`changeReport`). No I/O here.
 */

/** `keys update` options as commander hands them over. */
export interface UpdateOptions {
  name?: string;
  scopes?: string;
  models?: string;
  allModels?: boolean;
  rateLimit?: RateLimit;
  /** A budget, or false when --no-budget was given (and likewise below). */
  budget?: Budget | false;
  tokenLimit?: TokenLimit | false;
  maxConcurrent?: number | false;
  expiresIn?: string;
  expiresAt?: string;
  /** false when --no-expiry was given. */
  expiry?: boolean;
  metadata?: string[];
  clearMetadata?: boolean;
  ifMatch?: number;
}

export type UpdateRequest = CallInput<'updateKey'>['body'];

const WINDOW_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** `<whole count>/<n><s|m|h|d>`: at least 1 per a window of 1 s to `maxWindowSeconds`, else undefined. */
function perWindow(v: string, maxWindowSeconds: number): { count: number; windowSeconds: number } | undefined {
  const m = /^(\d+)\/(\d+)([smhd])$/.exec(v.trim());
  const count = Number(m?.[1]);
  const windowSeconds = Number(m?.[2]) * WINDOW_UNITS[m?.[3] ?? 's']!;
  if (!m || !Number.isSafeInteger(count) || count < 1 || windowSeconds < 1 || windowSeconds > maxWindowSeconds) return undefined;
  return { count, windowSeconds };
}

/** `100/60s`, `100/1m`, `5000/1h`: whole requests per a window of 1 s to 1 d. No ceiling on the count. */
export function parseRateLimit(v: string): RateLimit {
  const parsed = perWindow(v, 86_400);
  if (!parsed) throw new InvalidArgumentError('rate limit looks like 100/60s or 100/1m (at least 1 request, a window of 1s to 1d)');
  return { limit: parsed.count, windowSeconds: parsed.windowSeconds };
}

/** `20/month`, `5/day`, `50/week`, `100/total`: credits a key may spend per UTC period. */
export function parseBudgetOption(v: string): Budget {
  const budget = parseBudget(v);
  if (!budget) throw new InvalidArgumentError('a budget looks like 20/month, 5/day, 50/week or 100/total (credits above zero)');
  return budget;
}

/** `100000/1m`, `5000/60s`, `1000000/1d`: settled usage tokens per a window of 1 s to 30 d. */
export function parseTokenLimit(v: string): TokenLimit {
  const parsed = perWindow(v, 2_592_000);
  if (!parsed) throw new InvalidArgumentError('a token limit looks like 100000/1m or 5000/60s (at least 1 token, a window of 1s to 30d)');
  return { tokens: parsed.count, windowSeconds: parsed.windowSeconds };
}

/** At most this many model calls in flight at once: 1 to 1000. */
export function parseMaxConcurrent(v: string): number {
  if (!/^\d+$/.test(v.trim()) || Number(v) < 1 || Number(v) > 1000) throw new InvalidArgumentError('--max-concurrent is a whole number from 1 to 1000');
  return Number(v);
}

export function parseVersion(v: string): number {
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new InvalidArgumentError('the version is a whole number (the key’s version, as keys show prints it)');
  return Number(v);
}

const list = (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean);

/**
 * The edit the options ask for, in the API's words. `--metadata k=v` sets labels and keeps the
 * key's others (`k=` removes one); `--clear-metadata` starts from none. `merged` says the result
 * depends on the key as read, so the edit must apply to that version only.
 */
export function updateBody(o: UpdateOptions, before: ApiKey): { body: UpdateRequest; merged: boolean } {
  const expiries = [o.expiresIn !== undefined, o.expiresAt !== undefined, o.expiry === false].filter(Boolean).length;
  if (expiries > 1) throw new OperatorError('give one of --expires-in, --expires-at and --no-expiry');
  if (o.models !== undefined && o.allModels) throw new OperatorError('give --models or --all-models, not both');
  const body: UpdateRequest = {};
  if (o.name !== undefined) body.name = o.name;
  if (o.scopes !== undefined) body.scopes = list(o.scopes) as Scope[];
  if (o.models !== undefined) body.models = list(o.models);
  if (o.allModels) body.models = null;
  if (o.rateLimit) body.rateLimit = o.rateLimit;
  if (o.budget !== undefined) body.budget = o.budget || null;
  if (o.tokenLimit !== undefined) body.tokenLimit = o.tokenLimit || null;
  if (o.maxConcurrent !== undefined) body.maxConcurrent = o.maxConcurrent || null;
  if (o.expiresIn !== undefined) body.expiresIn = o.expiresIn;
  if (o.expiresAt !== undefined) body.expiresAt = o.expiresAt;
  if (o.expiry === false) body.expiresAt = null;
  let merged = false;
  if (o.metadata?.length || o.clearMetadata) {
    const metadata: Record<string, string> = o.clearMetadata ? {} : { ...before.metadata };
    for (const pair of o.metadata ?? []) {
      const at = pair.indexOf('=');
      if (at < 1) throw new OperatorError(`--metadata takes key=value pairs (key= removes one), not ${JSON.stringify(pair)}`);
      const [k, v] = [pair.slice(0, at), pair.slice(at + 1)];
      if (v === '') delete metadata[k];
      else metadata[k] = v;
    }
    body.metadata = Object.keys(metadata).length ? metadata : null;
    merged = !o.clearMetadata && Boolean(o.metadata?.length);
  }
  if (Object.keys(body).length === 0) throw new OperatorError('nothing to change: give at least one of --name, --scopes, --models, --rate-limit, --budget, --token-limit, --max-concurrent, --expires-in, --metadata …');
  return { body, merged };
}

/** The same edit for the core, as an operator makes it on the store: times become epoch ms. */
export function coreChanges(body: UpdateRequest, now: number): KeyChanges {
  const { expiresIn, expiresAt, metadata, ...rest } = body;
  const changes: KeyChanges = { ...(rest as KeyChanges) };
  if (metadata !== undefined) {
    const checked = metadata === null ? null : MetadataSchema.safeParse(metadata);
    if (checked && !checked.success) throw new OperatorError(`--metadata: ${checked.error.issues[0]?.message ?? 'not valid'}`);
    changes.metadata = metadata;
  }
  if (expiresIn !== undefined) {
    const ms = parseDuration(expiresIn);
    if (!ms) throw new OperatorError('--expires-in looks like 90d, 12h or 30m');
    changes.expiresAt = now + ms;
  }
  if (expiresAt !== undefined) {
    const at = expiresAt === null ? null : Date.parse(expiresAt);
    if (Number.isNaN(at)) throw new OperatorError('--expires-at is an ISO time, e.g. 2027-01-31T00:00:00Z');
    changes.expiresAt = at;
  }
  return changes;
}

/** Each field of a key as people read it, in the order a change report lists them. */
const FIELDS: [string, (k: ApiKey) => string][] = [
  ['name', (k) => JSON.stringify(k.name)],
  ['status', (k) => k.status],
  ['scopes', (k) => k.scopes.join(',') || 'none'],
  ['roles', (k) => k.roles.map((r) => r.name).join(',') || 'none'],
  ['context', (k) => pairs(k.context)],
  ['models', (k) => k.models?.join(',') ?? 'every model'],
  ['rate limit', (k) => `${k.rateLimit.limit}/${k.rateLimit.windowSeconds}s`],
  ['budget', (k) => (k.budget ? formatBudget(k.budget) : 'none')],
  ['token limit', (k) => (k.tokenLimit ? `${k.tokenLimit.tokens} tokens/${k.tokenLimit.windowSeconds}s` : 'none')],
  ['max concurrent', (k) => (k.maxConcurrent === null ? 'none' : String(k.maxConcurrent))],
  ['expires', (k) => k.expiresAt ?? 'never'],
  ['metadata', (k) => pairs(k.metadata)],
];

function pairs(record: Record<string, string>): string {
  return Object.entries(record).map(([k, v]) => `${k}=${v}`).join(', ') || 'none';
}

/** `key_… "name": version 3 → 4` and one `field  before → after` line per field that changed. */
export function changeReport(before: ApiKey, after: ApiKey): string {
  const changed = FIELDS.filter(([, show]) => show(before) !== show(after));
  if (changed.length === 0) return `${after.id} "${after.name}": no change (version ${after.version})`;
  const width = Math.max(...changed.map(([label]) => label.length));
  return [
    `${after.id} "${after.name}": version ${before.version} → ${after.version}`,
    ...changed.map(([label, show]) => `  ${label.padEnd(width)}  ${show(before)} → ${show(after)}`),
  ].join('\n');
}
