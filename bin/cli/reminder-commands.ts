import { withEnvironment } from '../../lambdas/local/data-dir';
import { OperatorError } from '../../lambdas/local/operator-errors';
import { globals, localDataDir, print, program, withOperator } from './context';

/**
 * `keywarden reminders run`: the keys due for rotation on schedule rotated and their new values
 * delivered (issue 25; lambdas/core/key-rotation-schedule.ts, through the running stack's store), then the daily expiry reminders, the budget alerts and the exposure notices, now, against the
 * running local stack (its address and the bots' secrets from the data dir, the environment on
 * top as `npm start` reads it). Each notice still goes out once per key, threshold and admin (a
 * budget alert once per period too; an exposure notice once per key): a second run sends nothing new. In AWS the schedules invoke
 * the bot functions; to run them now there, invoke them with `{"keywarden":"expiry-reminders"}`
 * or `{"keywarden":"budget-alerts"}` (which sends the exposure notices too; docs/operating.md).
 */
program
  .command('reminders')
  .description('expiry reminders (keys expiring within 14 days, 3 days, just expired), budget alerts (80 %, 100 %) and exposure notices to project admins')
  .command('run')
  .description('rotate the keys due, then send the due reminders, budget alerts, exposure, straggler and rotation failure notices now, through the running local stack')
  .action(async () => {
    if (globals().aws) {
      throw new OperatorError('in AWS the schedules run the rotations, reminders and budget alerts; invoke the rotation schedule function with {"keywarden":"rotations"}, or the bot functions with {"keywarden":"expiry-reminders"} or {"keywarden":"budget-alerts"} to run them now');
    }
    const dataDir = localDataDir();
    const endpoint = dataDir.endpoint();
    if (!endpoint) throw new OperatorError(`the local stack is not running for ${dataDir.path}; start it with \`npm start\``);
    // Loaded here, not at start: the AWS SDK and the bots (Bolt, botbuilder) would cost every other command ~0.6 s.
    const { keyRotationSchedule } = await import('../../lambdas/adapters/rotation-delivery-wiring');
    const rotations = await withOperator((ctx) => keyRotationSchedule(ctx.services).run());
    const { runLocalJobs } = await import('../../bots/local-reminders');
    const outcome = await runLocalJobs({ secrets: withEnvironment(dataDir.secrets(), process.env), baseUrl: endpoint.baseUrl, env: process.env });
    const lines = (job: string, run: typeof outcome.reminders) =>
      Object.entries(run).map(([bot, r]) => ('skipped' in r ? `${bot} ${job}: skipped (${r.skipped})` : `${bot} ${job}: ${Object.entries(r).map(([k, v]) => `${String(v)} ${k}`).join(', ')}`));
    const rotationLine = `key rotations: ${Object.entries(rotations).map(([k, v]) => `${v} ${k}`).join(', ')}`;
    print({ rotations, ...outcome }, () => [rotationLine, ...lines('reminders', outcome.reminders), ...lines('budget alerts', outcome.budgetAlerts), ...lines('exposure notices', outcome.exposureNotices), ...lines('straggler notices', outcome.stragglerNotices), ...lines('rotation failure notices', outcome.rotationFailureNotices)].join('\n'));
  });
