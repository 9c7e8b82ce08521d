import { InvalidArgumentError } from 'commander';
import { redactKeys } from '../../lambdas/core/redact-keys';
import { KeywardenApi, type ApiKey, type CallInput, type CallOutput, type CreateKeyRequest } from '../../lambdas/http/client';
import type { OperationId } from '../../lambdas/http/contract';
import { OperatorError } from '../../lambdas/local/operator-errors';
import { globals, localDataDir, print, program } from './context';
import { keyTable } from './key-table';

/**
 * Key commands for CI/CD: plain /v1 calls through the typed client with KEYWARDEN_API_URL and
 * KEYWARDEN_API_KEY (each falling back to the local stack's bootstrap.json), bound by the
 * authority rule like any key.
 */

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

/** One /v1 call through the typed client; a failure is one clear operator line. */
async function api<Op extends OperationId>(op: Op, input: CallInput<Op>): Promise<CallOutput<Op>> {
  const { url, key, local } = apiTarget();
  const result = await new KeywardenApi({ baseUrl: url, key }).call(op, input);
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
  throw new OperatorError(`${error.status} ${error.code}: ${error.message}`);
}

function keyLine(k: ApiKey): string {
  return `${k.id}  ${k.start}…  ${k.type}  ${k.status}  "${k.name}"  expires ${k.expiresAt ?? 'never'}  last used ${k.lastUsedAt ?? 'never'}`;
}

function parseRateLimit(v: string): { limit: number; windowSeconds: number } {
  const m = /^(\d+)\/(\d+)s$/.exec(v);
  if (!m) throw new InvalidArgumentError('rate limit looks like 100/60s');
  return { limit: Number(m[1]), windowSeconds: Number(m[2]) };
}

const keys = program.command('keys').description('API keys over /v1 (CI/CD: KEYWARDEN_API_URL, KEYWARDEN_API_KEY)');
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
  .option('--quiet', 'print only the raw key (for piping into a secret store)')
  .action(async (o: { name?: string; type: string; scopes?: string; expires?: string; prefix?: string; rateLimit?: { limit: number; windowSeconds: number }; models?: string; quiet?: boolean }) => {
    const created = await api('createKey', {
      body: {
        name: o.name,
        type: o.type as 'privileged' | 'viewer',
        // Words as typed: the API checks them against the vocabulary.
        scopes: o.scopes?.split(',').map((s) => s.trim()).filter(Boolean) as CreateKeyRequest['scopes'],
        expiresIn: o.expires,
        prefix: o.prefix,
        rateLimit: o.rateLimit,
        models: o.models?.split(',').map((s) => s.trim()).filter(Boolean),
      },
    });
    if (o.quiet) return void console.log(created.key);
    print(created, () => [keyLine(created), `key (shown once): ${created.key}`, '', created.setupScript].join('\n'));
  });
keys
  .command('list')
  .description('list keys')
  .option('--search <text>', 'name, visible start or full key')
  .option('--status <status>', 'active | revoked | expired')
  .action(async (o: { search?: string; status?: string }) => {
    const status = o.status as 'active' | 'revoked' | 'expired' | undefined;
    // The search term may be a whole key: it goes in a request body, never in a URL.
    const list = o.search ? await api('searchKeys', { body: { search: o.search, status } }) : await api('listKeys', { query: { status } });
    print(list, () => keyTable(list.data));
  });
keys
  .command('rotate <keyId>')
  .description('rotate a key; prints the replacement once')
  .option('--overlap <duration>', 'keep the old key working this long (max 7d)')
  .option('--quiet', 'print only the raw key')
  .action(async (id: string, o: { overlap?: string; quiet?: boolean }) => {
    const rotated = await api('rotateKey', { params: { id }, body: o.overlap ? { overlap: o.overlap } : {} });
    if (o.quiet) return void console.log(rotated.key);
    print(rotated, () => [`${id} → ${rotated.id}`, keyLine(rotated), `key (shown once): ${rotated.key}`].join('\n'));
  });
keys
  .command('revoke <keyId>')
  .description('revoke a key (immediate)')
  .action(async (id: string) => {
    const revoked = await api('revokeKey', { params: { id } });
    print(revoked, () => keyLine(revoked));
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

