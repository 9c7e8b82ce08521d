/**
 * `keywarden`: operator commands (accounts, API gate, credits, projects, chat admins) that work on
 * the store directly — local data or AWS — and key commands for CI/CD that call /v1 like any client.
 * Wiring only: every rule lives in the service core.
 */
import { Command, InvalidArgumentError } from 'commander';
import { userInfo } from 'node:os';
import { openOperatorContext, type OperatorContext } from '../lambdas/local/cli-context';
import { locateDataDir, type DataDir } from '../lambdas/local/data-dir';
import { exitOnUncaughtErrors, exitWithOperatorError, OperatorError, type OperatorErrorContext } from '../lambdas/local/operator-errors';
import { bootstrapEnvironment } from '../lambdas/bootstrap';
import { parseDuration } from '../lambdas/core/duration';
import { redactKeys } from '../lambdas/core/key-format';
import { KeywardenApi, type ApiKey, type CallInput, type CallOutput, type CreateKeyRequest } from '../lambdas/http/client';
import type { OperationId } from '../lambdas/http/contract';

// We pin the SDK and run on Node 20 here; its notice about future releases needing Node 22 is noise for users.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// Database files an embedded dynalite creates in the data dir stay owner-only, as the server keeps them.
process.umask(0o077);

interface GlobalOptions {
  json?: boolean;
  aws?: boolean;
  dataDir?: string;
  actor?: string;
  apiUrl?: string;
}

/** The local data dir this run opened, for the one-line message if its database turns out locked. */
let openedDataDir: DataDir | undefined;
const errorContext = (): OperatorErrorContext => (openedDataDir ? { dataDir: { path: openedDataDir.path } } : {});
exitOnUncaughtErrors(errorContext);

const program = new Command('keywarden')
  .description('Keywarden: API keys for the chat platform.')
  .option('--json', 'print machine-readable JSON')
  .option('--aws', 'operator commands work on AWS (TABLE_NAME, SECRET_HASHING_ARN, AWS credentials from the environment)')
  .option('--data-dir <dir>', 'local data directory (default: DATA_DIR, else the nearest .data/ holding bootstrap.json from here up to the keywarden project root)')
  .option('--actor <name>', 'operator name recorded in the audit trail (default cli:<user>)')
  .option('--api-url <url>', 'key commands: the API base URL (default KEYWARDEN_API_URL, else the local stack)')
  .showHelpAfterError();

function globals(): GlobalOptions {
  return program.opts<GlobalOptions>();
}

function actor(): string {
  return globals().actor ?? `cli:${process.env.USER || userInfo().username}`;
}

function print(value: unknown, human: () => string): void {
  console.log(globals().json ? JSON.stringify(value, null, 2) : human());
}

/**
 * The project's local data, never created here: a read command run in the wrong folder must say
 * where it looked rather than answer from a fresh, empty store.
 */
function localDataDir(fix = 'run `npm start` once in the keywarden project, or set DATA_DIR (or --data-dir) to its data dir'): DataDir {
  const located = locateDataDir({ cwd: process.cwd(), explicit: globals().dataDir || process.env.DATA_DIR || undefined });
  if (!located.found) throw new OperatorError(`no Keywarden data dir found (looked for ${located.tried.join(', ')}); ${fix}`);
  openedDataDir = located.found;
  return located.found;
}

async function withOperator<T>(fn: (ctx: OperatorContext) => Promise<T>): Promise<T> {
  const ctx = await openOperatorContext(globals().aws ? { aws: true } : { aws: false, dataDir: localDataDir() });
  try {
    return await fn(ctx);
  } finally {
    await ctx.close();
  }
}

const number = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new InvalidArgumentError(`${name} must be a number`);
  return n;
};

// ── operator: accounts, API gate, credits ─────────────────────────────────────

const accounts = program.command('accounts').description('customer accounts (operator)');
accounts
  .command('create')
  .description('create an account')
  .requiredOption('--name <name>', 'account name')
  .option('--api-access', 'turn the API product gate on', false)
  .option('--credits <n>', 'initial credits', number('credits'), 0)
  .action(async (o: { name: string; apiAccess: boolean; credits: number }) => {
    const account = await withOperator(({ services }) => services.operator.createAccount(o));
    print(account, () => `created ${account.id} "${account.name}" (API access ${account.apiAccess ? 'on' : 'off'}, ${account.credits} credits)`);
  });
accounts
  .command('list')
  .description('list accounts')
  .action(async () => {
    const list = await withOperator(({ services }) => services.operator.listAccounts());
    print(list, () => list.map((a) => `${a.id}  ${a.name}  api:${a.apiAccess ? 'on' : 'off'}  credits:${a.credits}`).join('\n') || 'no accounts');
  });
accounts
  .command('show <accountId>')
  .description('show one account')
  .action(async (id: string) => {
    const a = await withOperator(({ services }) => services.operator.getAccount(id));
    print(a, () => `${a.id}  ${a.name}  api:${a.apiAccess ? 'on' : 'off'}  credits:${a.credits}`);
  });

program
  .command('api-access <accountId> <state>')
  .description('turn the API product gate on or off (state: on | off)')
  .action(async (id: string, state: string) => {
    if (state !== 'on' && state !== 'off') throw new OperatorError('state must be on or off');
    const a = await withOperator(({ services }) => services.operator.setApiAccess(id, state === 'on'));
    print(a, () => `${a.id}: API access ${a.apiAccess ? 'on' : 'off'}`);
  });

const credits = program.command('credits').description('usage credits (operator)');
credits
  .command('grant <accountId> <amount>')
  .description('add credits to an account')
  .action(async (id: string, amount: string) => {
    const n = number('amount')(amount);
    if (n <= 0) throw new OperatorError('amount must be positive');
    const balance = await withOperator(({ services }) => services.operator.adjustCredits(id, n));
    print({ accountId: id, balance }, () => `${id}: ${balance} credits`);
  });
credits
  .command('withdraw <accountId> <amount>')
  .description('remove credits from an account (never below zero)')
  .action(async (id: string, amount: string) => {
    const n = number('amount')(amount);
    if (n <= 0) throw new OperatorError('amount must be positive');
    const balance = await withOperator(({ services }) => services.operator.adjustCredits(id, -n));
    print({ accountId: id, balance }, () => `${id}: ${balance} credits`);
  });
credits
  .command('show <accountId>')
  .description('show the balance')
  .action(async (id: string) => {
    const a = await withOperator(({ services }) => services.operator.getAccount(id));
    print({ accountId: id, balance: a.credits }, () => `${id}: ${a.credits} credits`);
  });

// ── operator: projects and chat admins ────────────────────────────────────────

const projects = program.command('projects').description('projects (operator)');
projects
  .command('create')
  .description('create a project and its Protected Automator key (shown once)')
  .requiredOption('--account <accountId>', 'owning account')
  .requiredOption('--name <name>', 'project name')
  .action(async (o: { account: string; name: string }) => {
    const { project, automator } = await withOperator(({ services }) =>
      services.operator.createProject({ accountId: o.account, name: o.name, actor: actor() }),
    );
    print({ project, automatorKey: { id: automator.key.id, start: automator.key.start, key: automator.secret } }, () =>
      [`created ${project.id} "${project.name}"`, `Automator key ${automator.key.id} (shown once): ${automator.secret}`].join('\n'),
    );
  });
projects
  .command('list')
  .description('list projects')
  .option('--account <accountId>', 'only this account')
  .action(async (o: { account?: string }) => {
    const list = await withOperator(({ services }) => services.operator.listProjects(o.account));
    print(list, () => list.map((p) => `${p.id}  ${p.name}  account:${p.accountId}`).join('\n') || 'no projects');
  });

const admins = program.command('admins').description('chat identities that administer a project (operator)');
admins
  .command('add <projectId> <identity>')
  .description('identity: slack:<team>:<user> or teams:<tenant>:<aadObjectId>')
  .action(async (projectId: string, identity: string) => {
    await withOperator(({ services }) => services.operator.addAdmin(projectId, identity, actor()));
    print({ projectId, identity, admin: true }, () => `${identity} is an admin of ${projectId}`);
  });
admins
  .command('remove <projectId> <identity>')
  .description('remove an admin')
  .action(async (projectId: string, identity: string) => {
    const removed = await withOperator(({ services }) => services.operator.removeAdmin(projectId, identity, actor()));
    print({ projectId, identity, removed }, () => (removed ? `${identity} removed from ${projectId}` : `${identity} was not an admin`));
  });
admins
  .command('list <projectId>')
  .description('list admins')
  .action(async (projectId: string) => {
    const list = await withOperator(({ services }) => services.operator.listAdmins(projectId));
    print(list, () => list.join('\n') || 'no admins');
  });

program
  .command('admin-key <projectId>')
  .description('issue a fresh admin key for a project, straight against the store (recovery: the API never lets a project lose its last one)')
  .option('--name <name>', 'key name', 'Operator-issued admin key')
  .option('--expires <duration>', 'lifetime, e.g. 90d (default one year)')
  .action(async (projectId: string, o: { name: string; expires?: string }) => {
    const expiresInMs = o.expires === undefined ? undefined : parseDuration(o.expires);
    if (o.expires !== undefined && !expiresInMs) {
      throw new OperatorError('--expires looks like 90d, 12h or 30m');
    }
    const issued = await withOperator(async ({ services }) => {
      await services.operator.getProject(projectId);
      return services.keys.create({ kind: 'operator', actor: actor(), projectId }, { name: o.name, type: 'privileged', expiresInMs });
    });
    const { hash: _hash, ...key } = issued.key;
    print({ ...key, key: issued.secret }, () => `${issued.key.id} "${issued.key.name}" (shown once): ${issued.secret}`);
  });

program
  .command('bootstrap')
  .description('first start of an environment: account, project, admin key and bot viewer keys (values shown once)')
  .option('--account-name <name>', 'account name', 'Platform account')
  .option('--project-name <name>', 'project name', 'Platform project')
  .option('--credits <n>', 'initial credits', number('credits'), 1000)
  .option('--admins <list>', 'comma-separated chat identities to make admins', '')
  .action(async (o: { accountName: string; projectName: string; credits: number; admins: string }) => {
    const result = await withOperator(({ services }) =>
      bootstrapEnvironment(services, {
        accountName: o.accountName,
        projectName: o.projectName,
        credits: o.credits,
        admins: o.admins.split(',').map((s) => s.trim()).filter(Boolean),
        actor: actor(),
      }),
    );
    print(result, () =>
      [
        `account ${result.accountId}, project ${result.projectId}`,
        `admin key ${result.adminKeyId} (shown once): ${result.adminKey}`,
        `bot viewer keys (put them in the botViewerKeys secret): ${JSON.stringify(result.botViewerKeys)}`,
      ].join('\n'),
    );
  });

// ── key commands for CI/CD: plain /v1 calls with KEYWARDEN_API_KEY ────────────

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
    const list = await api('listKeys', { query: { search: o.search, status: o.status as 'active' | 'revoked' | 'expired' | undefined } });
    print(list, () => list.data.map(keyLine).join('\n') || 'no keys');
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

try {
  await program.parseAsync(process.argv);
} catch (err) {
  exitWithOperatorError(err, errorContext());
}
