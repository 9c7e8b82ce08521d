import { withEnvironment } from '../../lambdas/local/data-dir';
import { OperatorError } from '../../lambdas/local/operator-errors';
import { globals, localDataDir, print, program } from './context';

/**
 * `keywarden reminders run`: the daily expiry reminders, now, against the running local stack
 * (its address and the bots' secrets from the data dir, the environment on top as `npm start`
 * reads it). Each notice still goes out once per key, threshold and admin: a second run the
 * same day sends nothing. In AWS the schedule invokes the bot functions; to run it now there,
 * invoke them with `{"keywarden":"expiry-reminders"}` (docs/operating.md).
 */
program
  .command('reminders')
  .description('expiry reminders (keys expiring within 14 days, 3 days, just expired) to project admins')
  .command('run')
  .description('send the due reminders now, through the running local stack')
  .action(async () => {
    if (globals().aws) throw new OperatorError('in AWS the daily schedule runs the reminders; invoke the bot functions with {"keywarden":"expiry-reminders"} to run them now');
    const dataDir = localDataDir();
    const endpoint = dataDir.endpoint();
    if (!endpoint) throw new OperatorError(`the local stack is not running for ${dataDir.path}; start it with \`npm start\``);
    // Loaded here, not at start: the bots (Bolt, botbuilder) would cost every other command ~0.6 s.
    const { runLocalReminders } = await import('../../bots/local-reminders');
    const outcome = await runLocalReminders({ secrets: withEnvironment(dataDir.secrets(), process.env), baseUrl: endpoint.baseUrl, env: process.env });
    print(outcome, () =>
      Object.entries(outcome)
        .map(([bot, r]) => ('skipped' in r ? `${bot}: skipped (${r.skipped})` : `${bot}: ${Object.entries(r).map(([k, v]) => `${v} ${k}`).join(', ')}`))
        .join('\n'),
    );
  });
