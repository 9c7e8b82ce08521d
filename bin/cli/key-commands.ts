import { KeywardenError } from '../../lambdas/core/errors';
import { redactKeys } from '../../lambdas/core/redact-keys';
import type { Budget, KeyRecord, RateLimit, TokenLimit } from '../../lambdas/core/types';
import { parseDuration } from '../../lambdas/core/duration';
import { KeywardenApi, type ApiError, type ApiKey, type CallInput, type CallOutput, type CreateKeyRequest } from '../../lambdas/http/client';
import type { OperationId } from '../../lambdas/http/contract';
import { presentKey } from '../../lambdas/http/presenters';
import { OperatorError } from '../../lambdas/local/operator-errors';
import { actor, globals, localDataDir, print, program, withOperator } from './context';
import { changeReport, coreChanges, parseBudgetOption, parseMaxConcurrent, parseRateLimit, parseTokenLimit, parseVersion, updateBody, type UpdateOptions } from './key-changes';
import { keyTable } from './key-table';

/**
 * Key commands for CI/CD: plain /v1 calls through the typed client with KEYWARDEN_API_URL and
 * KEYWARDEN_API_KEY (each falling back to the local stack's bootstrap.json), bound by the
 * authority rule like any key. `keys update|disable|enable --operator` work on the store instead
 * (the local data dir, or AWS with --aws), as the platform: bound by no key, any limit allowed.
 */

/** A /v1 call that failed, as one operator line, with the API's error kept for the commands that explain it further. */
class ApiFailure extends OperatorError {
  constructor(readonly error: ApiError) {
    super(`${error.status} ${error.code}: ${error.message}`);
  }
}

/** Where key commands go: KEYWARDEN_API_URL / KEYWARDEN_API_KEY, each falling back to the local stack's bootstrap.json. */
function apiTarget(): { url: string; key: string; local: boolean } {
  let url = globals().apiUrl || process.env.KEYWARDEN_API_URL || undefined;
  let key = process.env.KEYWARDEN_API_KEY || undefined;
  const local = !url;
  if (!url || !key) {
    const bootstrap = localDataDir('set KEYWARDEN_API_URL and KEYWARDEN_API_KEY, or run `npm start` in the keywarden project').bootstrap()!;
    url ??= bootstrap.baseUrl;
    key ??= bootstrap.adminKey;
  }
  if (!/^https?:\/\/[^/]/.test(url)) {
    throw new OperatorError(`KEYWARDEN_API_URL (or --api-url) is not an http(s) URL: ${redactKeys(url)}`);
  }
  return { url: url.replace(/\/+$/, '').replace(/\/v1$/, ''), key, local };
}

/** One /v1 call through the typed client; a failure is one clear operator line (every API-side command goes through it). */
export async function api<Op extends OperationId>(op: Op, input: CallInput<Op>, headers?: Record<string, string>): Promise<CallOutput<Op>> {
  const { url, key, local } = apiTarget();
  const result = await new KeywardenApi({ baseUrl: url, key }).call(op, input, { headers });
  if (result.ok) return result.value;
  const { error } = result;
  if (error.code === 'unreachable') {
    const fix = local
      ? 'start the local stack with `npm start`, or set KEYWARDEN_API_URL to a running Keywarden'
      : 'check KEYWARDEN_API_URL (or --api-url)';
    throw new OperatorError(`cannot reach the Keywarden API at ${url}/v1 (${error.cause}); ${fix}`);
  }
  if (error.code === 'not_json' || error.code.startsWith('http_')) {
    throw new OperatorError(`${url}/v1 answered HTTP ${error.status} with something other than a Keywarden answer; is ${url} a Keywarden API?`);
  }
  throw new ApiFailure(error);
}

function keyLine(k: ApiKey): string {
  const labels = Object.entries(k.metadata).map(([name, value]) => `${name}=${value}`).join(', ');
  const exposed = k.exposure ? `\nexposed ${k.exposure.at} (${k.exposure.source}): ${k.exposure.location}` : '';
  return `${k.id}  ${k.start}…  ${k.type}  ${k.status}  "${k.name}"  version ${k.version}  expires ${k.expiresAt ?? 'never'}  last used ${k.lastUsedAt ?? 'never'}${labels ? `  (${labels})` : ''}${exposed}`;
}

const OPERATOR_HELP = 'as the operator, on the store (the local data dir, or AWS with --aws) instead of /v1: bound by no key, any limit allowed';

/** Where an edit goes: /v1 with a key (bounded by it, SPEC §3), or the store as the platform (--operator). */
function operatorMode(o: { operator?: boolean }): boolean {
  if (!o.operator && globals().aws) {
    throw new OperatorError('key commands go through /v1 with a key; add --operator to change the key on the store (with --aws: on AWS)');
  }
  return Boolean(o.operator);
}

const keys = program
  .command('keys')
  .description('API keys over /v1 (CI/CD: KEYWARDEN_API_URL, KEYWARDEN_API_KEY); update, disable and enable also as the operator, on the store (--operator)');
keys
  .command('create')
  .description('create a key; prints the raw key once')
  .option('--name <name>', 'key name (default: Console generated key N)')
  .option('--type <type>', 'privileged | viewer', 'privileged')
  .option('--scopes <list>', 'comma-separated scopes')
  .option('--expires <duration>', 'lifetime, e.g. 90d (default one year)')
  .option('--prefix <prefix>', 'key prefix (default archie)')
  .option('--rate-limit <n/window>', 'e.g. 100/60s', parseRateLimit)
  .option('--models <list>', 'comma-separated model ids the key may call (default: the creating key’s)')
  .option('--budget <credits/period>', 'credits per UTC day, week or month, or in total: 20/month (default: the creating key’s)', parseBudgetOption)
  .option('--token-limit <tokens/window>', 'settled usage tokens per window: 100000/1m (default: the creating key’s)', parseTokenLimit)
  .option('--max-concurrent <n>', 'model calls in flight at once, streams included (default: the creating key’s)', parseMaxConcurrent)
  .option('--quiet', 'print only the raw key (for piping into a secret store)')
  .option('--operator', `${OPERATOR_HELP} (with --project)`)
  .option('--project <projectId>', 'with --operator: the project the key belongs to')
  .action(async (o: CreateOptions) => {
    if (operatorMode(o)) return createAsOperator(o);
    const { scopes, ...asked } = askedFor(o);
    // Words as typed: the API checks them against the vocabulary.
    const created = await api('createKey', { body: { ...asked, scopes: scopes as CreateKeyRequest['scopes'], expiresIn: o.expires } });
    if (o.quiet) return void console.log(created.key);
    print(created, () => [keyLine(created), `key (shown once): ${created.key}`, '', created.setupScript].join('\n'));
  });
interface CreateOptions {
  name?: string;
  type: string;
  scopes?: string;
  expires?: string;
  prefix?: string;
  rateLimit?: RateLimit;
  models?: string;
  budget?: Budget;
  tokenLimit?: TokenLimit;
  maxConcurrent?: number;
  quiet?: boolean;
  operator?: boolean;
  project?: string;
}

/** What `keys create` asks for, as the API and the core both take it (the lifetime apart: a duration for one, ms for the other). */
function askedFor(o: CreateOptions) {
  const list = (v: string | undefined) => v?.split(',').map((s) => s.trim()).filter(Boolean);
  const { name, prefix, rateLimit, budget, tokenLimit, maxConcurrent } = o;
  return { name, type: o.type as 'privileged' | 'viewer', scopes: list(o.scopes), prefix, rateLimit, models: list(o.models), budget, tokenLimit, maxConcurrent };
}

/** `keys create --operator --project <id>`: the platform mints a key with any limits, bound by no key. */
async function createAsOperator(o: CreateOptions): Promise<void> {
  if (!o.project) throw new OperatorError('keys create --operator needs --project <projectId>');
  const expiresInMs = o.expires === undefined ? undefined : parseDuration(o.expires);
  if (o.expires !== undefined && !expiresInMs) throw new OperatorError('--expires looks like 90d, 12h or 30m');
  const projectId = o.project;
  const issued = await withOperator(async ({ services }) => {
    await services.operator.getProject(projectId);
    return services.keys.create({ kind: 'operator', actor: actor(), projectId }, { ...askedFor(o), expiresInMs });
  });
  if (o.quiet) return void console.log(issued.secret);
  const key = shown(issued.key);
  print({ ...key, key: issued.secret }, () => [keyLine(key), `key (shown once): ${issued.secret}`].join('\n'));
}

keys
  .command('list')
  .description('list keys')
  .option('--search <text>', 'name, visible start or full key')
  .option('--status <status>', 'active | disabled | revoked | expired')
  .action(async (o: { search?: string; status?: string }) => {
    const status = o.status as 'active' | 'disabled' | 'revoked' | 'expired' | undefined;
    // The search term may be a whole key: it goes in a request body, never in a URL.
    const list = o.search ? await api('searchKeys', { body: { search: o.search, status } }) : await api('listKeys', { query: { status } });
    print(list, () => keyTable(list.data));
  });
keys
  .command('rotate <keyId>')
  .description('rotate a key; prints the replacement once')
  .option('--overlap <duration>', 'keep the old key working this long (max 7d)')
  .option('--revoke-when-idle <duration>', 'with --overlap: end the old key once it has had no call for this long')
  .option('--quiet', 'print only the raw key')
  .action(async (id: string, o: { overlap?: string; revokeWhenIdle?: string; quiet?: boolean }) => {
    const body = { ...(o.overlap ? { overlap: o.overlap } : {}), ...(o.revokeWhenIdle ? { revokeWhenIdle: o.revokeWhenIdle } : {}) };
    const rotated = await api('rotateKey', { params: { id }, body });
    if (o.quiet) return void console.log(rotated.key);
    print(rotated, () => [`${id} → ${rotated.id}`, keyLine(rotated), `key (shown once): ${rotated.key}`].join('\n'));
  });
keys
  .command('stragglers <keyId>')
  .description('who still calls with a rotated-out key during its overlap (the old key or its replacement)')
  .action(async (id: string) => {
    const report = await api('keyStragglers', { params: { id } });
    const lines = report.callers.map((c) => `${c.sourceIp ?? '-'}  ${c.userAgent ?? '-'}  ${c.route}  ${c.count} call(s), last ${c.lastSeen}`);
    print(report, () => [`${report.keyId} → ${report.replacedBy ?? '(not rotated)'}, works until ${report.graceUntil ?? '-'}`, ...(lines.length ? lines : ['no caller on the old key since the rotation'])].join('\n'));
  });
keys
  .command('revoke <keyId>')
  .description('revoke a key (immediate)')
  .action(async (id: string) => {
    const revoked = await api('revokeKey', { params: { id } });
    print(revoked, () => keyLine(revoked));
  });
keys
  .command('report-exposed <keyId>')
  .description('report a key exposed: it stops at once (revoked; the Automator key rotated), the exposure is recorded')
  .option('--location <where>', 'where it leaked: a URL, a channel, a few words (never the key itself)')
  .action(async (id: string, o: { location?: string }) => {
    const report = await api('reportExposed', { params: { id }, body: o.location ? { location: o.location } : {} });
    const done = { revoked: 'revoked', rotated: 'rotated (the Automator key)', already: 'already stopped; nothing more changed' }[report.handled];
    print(report, () => [`${id} reported exposed: ${done}`, keyLine(report.key)].join('\n'));
  });
keys
  .command('exposure <keyId>')
  .description('what a key did since it was first seen exposed (or over its whole life): calls, tokens, credits, callers')
  .action(async (id: string) => {
    const u = await api('exposureUsage', { params: { id } });
    print(u, () =>
      [
        u.since ? `since ${u.since} (${u.exposure?.source}: ${u.exposure?.location})` : 'never exposed: the key’s whole life',
        `${u.calls} calls  ${u.tokens} tokens  ${u.credits} credits  first use ${u.firstUse ?? 'none'}  last use ${u.lastUse ?? 'none'}${u.complete ? '' : '  (stopped at 10,000 records)'}`,
        ...u.sources.map((c) => `${String(c.calls).padStart(6)}  ${c.address ?? '-'}  ${c.userAgent ?? '-'}`),
      ].join('\n'),
    );
  });
keys
  .command('show <keyId>')
  .description('show one key')
  .action(async (id: string) => {
    const key = await api('getKey', { params: { id } });
    print(key, () => keyLine(key));
  });
keys
  .command('delete <keyId>')
  .description('delete a user key (the Automator key is Protected)')
  .action(async (id: string) => {
    const deleted = await api('deleteKey', { params: { id } });
    print(deleted, () => `${deleted.id} deleted`);
  });
// ── edit in place, pause and resume (issue 21): through /v1 with a key, or on the store with --operator ──

/**
 * A 409 conflict on a conditional edit, said plainly when the key's version is what moved: a stale
 * --if-match, or (labels merged with the key as read) a change made while this command ran.
 * Undefined when the version did not move: the API's own message stands.
 */
async function staleVersion(id: string, ifMatch: number | undefined, sent: number, current: () => Promise<number>): Promise<OperatorError | undefined> {
  const now = await current().catch(() => undefined);
  if (now === sent) return undefined;
  const at = now === undefined ? '' : ` (it is at version ${now})`;
  return new OperatorError(
    ifMatch !== undefined
      ? `409 conflict: ${id} is no longer at version ${ifMatch}${at}: --if-match is stale; read it again with \`keywarden keys show ${id}\``
      : `409 conflict: ${id} changed while this command was editing it${at}; run it again`,
  );
}

const isConflict = (err: unknown) => (err instanceof ApiFailure && err.error.code === 'conflict') || (err instanceof KeywardenError && err.code === 'conflict');

/** Runs a conditional edit; a conflict caused by a moved version is said as such. */
async function conditional<T>(id: string, ifMatch: number | undefined, sent: number | undefined, edit: () => Promise<T>, current: () => Promise<number>): Promise<T> {
  try {
    return await edit();
  } catch (err) {
    if (sent === undefined || !isConflict(err)) throw err;
    throw (await staleVersion(id, ifMatch, sent, current)) ?? err;
  }
}

/** The key as answered, from a record read on the store (operator mode). */
const shown = (key: KeyRecord): ApiKey => presentKey(key, Date.now());

keys
  .command('update <keyId>')
  .description('edit a key in place; prints each changed field as before → after, and the new version')
  .option('--name <name>', 'new name')
  .option('--scopes <list>', 'comma-separated scopes (replace the key’s)')
  .option('--models <list>', 'comma-separated model ids the key may call')
  .option('--all-models', 'let the key call every model')
  .option('--rate-limit <n/window>', 'e.g. 100/60s or 100/1m', parseRateLimit)
  .option('--budget <credits/period>', 'credits per UTC day, week or month, or in total: 20/month', parseBudgetOption)
  .option('--no-budget', 'remove the key’s budget (the account balance still applies)')
  .option('--token-limit <tokens/window>', 'settled usage tokens per window: 100000/1m', parseTokenLimit)
  .option('--no-token-limit', 'remove the key’s token limit')
  .option('--max-concurrent <n>', 'model calls in flight at once, streams included', parseMaxConcurrent)
  .option('--no-max-concurrent', 'remove the key’s concurrency cap')
  .option('--expires-in <duration>', 'expire this long from now, e.g. 30d')
  .option('--expires-at <iso>', 'expire at this time, e.g. 2027-01-31T00:00:00Z')
  .option('--no-expiry', 'never expire')
  .option('--metadata <key=value...>', 'set labels, keeping the key’s others (key= removes one)')
  .option('--clear-metadata', 'remove every label (with --metadata: replace them all)')
  .option('--if-match <version>', 'only if the key is still at this version (else 409 conflict)', parseVersion)
  .option('--operator', OPERATOR_HELP)
  .action(async (id: string, o: UpdateOptions & { operator?: boolean }) => {
    if (operatorMode(o)) {
      const [before, after] = await withOperator(async ({ services }) => {
        const read = await services.operator.getKey(id);
        const { body, merged } = updateBody(o, shown(read));
        const ifVersion = o.ifMatch ?? (merged ? (read.version ?? 1) : undefined);
        const changes = coreChanges(body, Date.now());
        const edited = await conditional(
          id,
          o.ifMatch,
          ifVersion,
          () => services.operator.updateKey(actor(), id, changes, { ifVersion }),
          async () => (await services.operator.getKey(id)).version ?? 1,
        );
        return [shown(read), shown(edited)];
      });
      return print(after, () => changeReport(before, after));
    }
    const before = await api('getKey', { params: { id } });
    const { body, merged } = updateBody(o, before);
    const ifVersion = o.ifMatch ?? (merged ? before.version : undefined);
    const headers = ifVersion === undefined ? undefined : { 'if-match': String(ifVersion) };
    const after = await conditional(
      id,
      o.ifMatch,
      ifVersion,
      () => api('updateKey', { params: { id }, body }, headers),
      async () => (await api('getKey', { params: { id } })).version,
    );
    print(after, () => changeReport(before, after));
  });

for (const [verb, summary] of [
  ['disable', 'pause a key: refused (401 key_disabled) until enabled again; it stays listed with its settings'],
  ['enable', 'resume a paused key, at once'],
] as const) {
  keys
    .command(`${verb} <keyId>`)
    .description(summary)
    .option('--operator', OPERATOR_HELP)
    .action(async (id: string, o: { operator?: boolean }) => {
      if (operatorMode(o)) {
        const [before, after] = await withOperator(async ({ services }) => {
          const read = await services.operator.getKey(id);
          const changed = verb === 'disable' ? await services.operator.disableKey(actor(), id) : await services.operator.enableKey(actor(), id);
          return [shown(read), shown(changed)];
        });
        return print(after, () => changeReport(before, after));
      }
      const before = await api('getKey', { params: { id } });
      const after = await api(verb === 'disable' ? 'disableKey' : 'enableKey', { params: { id } });
      print(after, () => changeReport(before, after));
    });
}

program
  .command('audit')
  .description('the audit trail over /v1, newest first')
  .option('--key <keyId>', 'records about this key')
  .option('--actor <actor>', 'records by this actor (key:key_…, slack:T…:U…, teams:…, cli:…)')
  .option('--since <iso>', 'from this time on')
  .action(async (o: { key?: string; actor?: string; since?: string }) => {
    const page = await api('listAudit', { query: { keyId: o.key, actor: o.actor, since: o.since } });
    print(page, () => page.data.map((r) => `${r.at}  ${r.action}  ${r.outcome}  ${r.actor}${r.keyId ? `  ${r.keyId}` : ''}${r.reason ? `  (${r.reason})` : ''}`).join('\n') || 'no records');
  });

