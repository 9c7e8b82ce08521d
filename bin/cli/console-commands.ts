import { consoleSessions, LINK_LIFETIME_MS } from '../../lambdas/core/console-sessions';
import { OperatorError } from '../../lambdas/local/operator-errors';
import { actor, globals, localDataDir, print, program, withOperator } from './context';

/**
 * `keywarden console-link`: an operator's one-time sign-in link to a project's console (5
 * minutes, single use). The session acts as the project's Automator key through /v1; the audit
 * names the operator as the one who opened it.
 */
program
  .command('console-link')
  .description('print a one-time console sign-in link (valid 5 minutes, single use) for a project')
  .option('--project <id>', 'the project (default: the local stack’s bootstrap project)')
  .option('--console-url <url>', 'where the console is served (default KEYWARDEN_CONSOLE_URL, else the local stack)')
  .action(async (o: { project?: string; consoleUrl?: string }) => {
    const local = globals().aws ? undefined : localDataDir().bootstrap();
    const projectId = o.project ?? local?.projectId;
    if (!projectId) throw new OperatorError('--project <id> is needed (no local bootstrap project to default to)');
    const base = o.consoleUrl || process.env.KEYWARDEN_CONSOLE_URL || local?.baseUrl;
    if (!base || !/^https?:\/\//.test(base)) throw new OperatorError('--console-url <url> (or KEYWARDEN_CONSOLE_URL) is needed: the console’s https:// address');
    const link = await withOperator(({ services }) => consoleSessions(services).linkForOperator(projectId, actor()));
    const url = `${base.replace(/\/+$/, '').replace(/\/console$/, '')}/console/#link=${link.token}`;
    print({ url, expiresAt: new Date(link.expiresAt).toISOString() }, () => `${url}\n(one-time sign-in link for project ${projectId}: valid ${LINK_LIFETIME_MS / 60_000} minutes, single use)`);
  });
