import { bootstrapEnvironment } from '../../lambdas/bootstrap';
import { parseDuration } from '../../lambdas/core/duration';
import { BOOTSTRAP_RATE_LIMIT } from '../../lambdas/core/operator-service';
import type { RateLimit } from '../../lambdas/core/types';
import { OperatorError } from '../../lambdas/local/operator-errors';
import { actor, number, print, program, withOperator } from './context';
import { parseRateLimit } from './key-changes';

/**
 * Operator commands: accounts, the API gate, credits, projects, chat admins, recovery keys and
 * the first start of an environment — straight against the store (local data, or AWS with --aws).
 * Operators are the platform: the limits they give (`--rate-limit`) have no ceiling; 6000/min is
 * only the default of the keys they start a project with. Editing, pausing and resuming any key
 * as the operator: `keys update|disable|enable --operator` (key-commands.ts).
 */

const RATE_LIMIT_HELP = 'requests per window, any size (e.g. 100000/60s; default 6000/60s)';

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

accounts
  .command('credits-low <accountId> <threshold>')
  .description('announce account.credits_low when the balance falls below this many credits (threshold: a number, or off)')
  .action(async (id: string, threshold: string) => {
    const value = threshold === 'off' ? null : number('threshold')(threshold);
    if (value !== null && value < 0) throw new OperatorError('threshold must be zero or more, or off');
    const a = await withOperator(({ services }) => services.operator.setCreditsLowThreshold(id, value));
    const line = a.creditsLowThreshold === undefined ? 'no credits-low threshold' : `credits-low threshold ${a.creditsLowThreshold} (balance ${a.credits})`;
    print({ accountId: a.id, creditsLowThreshold: a.creditsLowThreshold ?? null, balance: a.credits }, () => `${a.id}: ${line}`);
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
    print({ accountId: id, balance }, () => creditsLine(id, balance));
  });
credits
  .command('withdraw <accountId> <amount>')
  .description('remove credits from an account (never below zero)')
  .action(async (id: string, amount: string) => {
    const n = number('amount')(amount);
    if (n <= 0) throw new OperatorError('amount must be positive');
    const balance = await withOperator(({ services }) => services.operator.adjustCredits(id, -n));
    print({ accountId: id, balance }, () => creditsLine(id, balance));
  });
credits
  .command('show <accountId>')
  .description('show the balance')
  .action(async (id: string) => {
    const a = await withOperator(({ services }) => services.operator.getAccount(id));
    print({ accountId: id, balance: a.credits }, () => creditsLine(id, a.credits));
  });

/** A balance as said to an operator: below zero is debt, and says so. */
function creditsLine(id: string, balance: number): string {
  return balance < 0 ? `${id}: ${balance} credits (in debt: model calls refused until a grant repays it)` : `${id}: ${balance} credits`;
}

// ── operator: projects and chat admins ────────────────────────────────────────

const projects = program.command('projects').description('projects (operator)');
projects
  .command('create')
  .description('create a project and its Protected Automator key (shown once)')
  .requiredOption('--account <accountId>', 'owning account')
  .requiredOption('--name <name>', 'project name')
  .option('--rate-limit <n/window>', `the Automator key's window: ${RATE_LIMIT_HELP}`, parseRateLimit)
  .action(async (o: { account: string; name: string; rateLimit?: RateLimit }) => {
    const { project, automator } = await withOperator(({ services }) =>
      services.operator.createProject({ accountId: o.account, name: o.name, actor: actor(), rateLimit: o.rateLimit }),
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
  .option('--rate-limit <n/window>', RATE_LIMIT_HELP, parseRateLimit)
  .action(async (projectId: string, o: { name: string; expires?: string; rateLimit?: RateLimit }) => {
    const expiresInMs = o.expires === undefined ? undefined : parseDuration(o.expires);
    if (o.expires !== undefined && !expiresInMs) {
      throw new OperatorError('--expires looks like 90d, 12h or 30m');
    }
    const issued = await withOperator(async ({ services }) => {
      await services.operator.getProject(projectId);
      return services.keys.create(
        { kind: 'operator', actor: actor(), projectId },
        { name: o.name, type: 'privileged', expiresInMs, rateLimit: o.rateLimit ?? BOOTSTRAP_RATE_LIMIT },
      );
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
  .option('--rate-limit <n/window>', `the admin key's window: ${RATE_LIMIT_HELP}`, parseRateLimit)
  .action(async (o: { accountName: string; projectName: string; credits: number; admins: string; rateLimit?: RateLimit }) => {
    const result = await withOperator(({ services }) =>
      bootstrapEnvironment(services, {
        accountName: o.accountName,
        projectName: o.projectName,
        credits: o.credits,
        admins: o.admins.split(',').map((s) => s.trim()).filter(Boolean),
        actor: actor(),
        rateLimit: o.rateLimit,
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

