import { describePolicy } from '../../lambdas/core/account-policy';
import type { Account } from '../../lambdas/core/types';
import { OperatorError } from '../../lambdas/local/operator-errors';
import { actor, print, program, withOperator } from './context';
// The `accounts` command these hang under.
import './operator-commands';
import { changedPolicy, onOff, type SetOptions } from './policy-changes';

/**
 * Account policies (issue 25 point 5; lambdas/core/account-policy.ts): limits on every key of an
 * account, set by an operator and held on every path that makes or changes a key. `set` changes
 * only the limits it names (each takes `off` to lift it); `clear` lifts them all. The policy is
 * validated by the service (zod), not here: these options only turn words into its fields.
 */

/** What an operator reads: each limit on its line, or that there are none. */
function policyLines(account: Account): string {
  const lines = describePolicy(account.policy);
  if (lines.length === 0) return `${account.id}: no account policy`;
  const by = account.policy?.updatedBy ? ` (set by ${account.policy.updatedBy}${account.policy.updatedAt ? ` at ${account.policy.updatedAt}` : ''})` : '';
  return [`${account.id}: account policy${by}`, ...lines.map((l) => `  ${l}`)].join('\n');
}

/** The JSON form: the stored policy, or null. */
const policyJson = (account: Account) => ({ accountId: account.id, policy: account.policy ?? null });

const policy = program.commands.find((c) => c.name() === 'accounts')!.command('policy').description('limits on every key of an account (operator)');
policy
  .command('show <accountId>')
  .description('show the account policy')
  .action(async (id: string) => {
    const account = await withOperator(({ services }) => services.operator.getAccount(id));
    print(policyJson(account), () => policyLines(account));
  });
policy
  .command('set <accountId>')
  .description('change the limits named (each: a value, or off to lift it); the others are kept')
  .option('--max-lifetime <duration>', 'no key lives longer, e.g. 90d (implies --expiry-required)')
  .option('--expiry-required <on|off>', 'every key expires', onOff('--expiry-required'))
  .option('--allowed-types <types>', 'the key types allowed, e.g. viewer or viewer,privileged')
  .option('--max-rate-limit <n/window>', 'no key allows more, e.g. 100/60s')
  .option('--max-budget <credits/period>', 'every key has a budget of at most this, e.g. 20/month')
  .option('--privileged-requires-approval <on|off>', 'privileged keys only through an approved key request', onOff('--privileged-requires-approval'))
  .action(async (id: string, o: SetOptions) => {
    if (Object.values(o).every((v) => v === undefined)) throw new OperatorError('name at least one limit to set (see --help), or use `accounts policy clear`');
    const account = await withOperator(async ({ services }) => {
      const current = (await services.operator.getAccount(id)).policy ?? {};
      return services.operator.setAccountPolicy(id, changedPolicy(current, o), actor());
    });
    print(policyJson(account), () => policyLines(account));
  });
policy
  .command('clear <accountId>')
  .description('lift every limit of the account policy')
  .action(async (id: string) => {
    const account = await withOperator(({ services }) => services.operator.setAccountPolicy(id, null, actor()));
    print(policyJson(account), () => policyLines(account));
  });
