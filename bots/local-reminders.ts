import type { LocalBotContext } from './boot/bot-mount';
import { botLog, errorLabel } from './boot/bot-log';
import { SlackWorkReceiver } from './slack/ack-first/worker';
import { sendSlackBudgetAlerts } from './slack/budget-alerts';
import { sendSlackExposureNotices } from './slack/exposure-notices';
import { sendSlackRequestCards } from './slack/key-request-notices';
import { sendSlackReminders } from './slack/expiry-reminders';
import { sendSlackRotationDeliveryNotices } from './slack/rotation-delivery-notices';
import { sendSlackRotationFailureNotices } from './slack/rotation-failure-notices';
import { sendSlackStragglerNotices } from './slack/straggler-notices';
import { localSlackConfig } from './slack/local-mount';
import { createSlackBot } from './slack/slack-app';
import { localTeamsConfig } from './teams';
import { createTeamsBot, type TeamsBot } from './teams/teams-bot';

type SlackRun = { sent: number; failed: number; alreadySent: number } | { skipped: string };
type TeamsRun = { sent: number; failed: number; unreachable: number; alreadySent: number } | { skipped: string };

export interface LocalReminderRun {
  slack: SlackRun;
  teams: TeamsRun;
}

/** The scheduled jobs of the local stack: the expiry reminders, the budget alerts (issue 21), the exposure notices (issue 22), the straggler and rotation failure notices (issue 25). */
export type LocalJob = 'reminders' | 'budget-alerts' | 'exposure-notices' | 'straggler-notices' | 'rotation-failure-notices';

/** Each job's Slack half. */
const SLACK_JOBS = {
  reminders: sendSlackReminders,
  'budget-alerts': sendSlackBudgetAlerts,
  'exposure-notices': sendSlackExposureNotices,
  'straggler-notices': sendSlackStragglerNotices,
  'rotation-failure-notices': sendSlackRotationFailureNotices,
} as const;

/** Each job's Teams half. */
const TEAMS_JOBS = {
  reminders: (bot: TeamsBot, nowMs: number) => bot.sendReminders(nowMs),
  'budget-alerts': (bot: TeamsBot, nowMs: number) => bot.sendBudgetAlerts(nowMs),
  'exposure-notices': (bot: TeamsBot, nowMs: number) => bot.sendExposureNotices(nowMs),
  'straggler-notices': (bot: TeamsBot, nowMs: number) => bot.sendStragglerNotices(nowMs),
  'rotation-failure-notices': (bot: TeamsBot, nowMs: number) => bot.sendRotationFailureNotices(nowMs),
} as const;

/**
 * The daily expiry reminders on the local stack (issue 12): what the EventBridge rule starts in
 * AWS, run for both bots against the local /v1 — by the timer in `npm start`, and now by
 * `keywarden reminders run`. A bot that is not configured is skipped, saying why.
 */
export async function runLocalReminders(context: LocalBotContext, nowMs = Date.now(), job: LocalJob = 'reminders'): Promise<LocalReminderRun> {
  let slack: SlackRun;
  try {
    const configured = localSlackConfig(context);
    if (configured.ok) {
      const bot = createSlackBot(configured.config, new SlackWorkReceiver(), botLog('slack'));
      slack = await SLACK_JOBS[job](bot, nowMs);
      // With the exposure notices: the approval cards owed for key requests made elsewhere (logged, not counted here).
      if (job === 'exposure-notices') await sendSlackRequestCards(bot);
      // With the rotation failure notices: the owners told of rotated values waiting for them (logged).
      if (job === 'rotation-failure-notices') await sendSlackRotationDeliveryNotices(bot, nowMs);
    } else slack = { skipped: configured.missing };
  } catch (err) {
    slack = { skipped: errorLabel(err) };
  }
  let teams: TeamsRun;
  try {
    const bot = createTeamsBot(localTeamsConfig(context));
    teams = await TEAMS_JOBS[job](bot, nowMs);
    if (job === 'exposure-notices') await bot.sendRequestCards();
    if (job === 'rotation-failure-notices') await bot.sendRotationDeliveryNotices(nowMs);
  } catch (err) {
    teams = { skipped: errorLabel(err) };
  }
  return { slack, teams };
}

/** Every job, as `keywarden reminders run` runs them: the expiry reminders, the budget alerts, then the exposure notices. */
export async function runLocalJobs(
  context: LocalBotContext,
  nowMs = Date.now(),
): Promise<{ reminders: LocalReminderRun; budgetAlerts: LocalReminderRun; exposureNotices: LocalReminderRun; stragglerNotices: LocalReminderRun; rotationFailureNotices: LocalReminderRun }> {
  const reminders = await runLocalReminders(context, nowMs, 'reminders');
  const budgetAlerts = await runLocalReminders(context, nowMs, 'budget-alerts');
  const exposureNotices = await runLocalReminders(context, nowMs, 'exposure-notices');
  const stragglerNotices = await runLocalReminders(context, nowMs, 'straggler-notices');
  return { reminders, budgetAlerts, exposureNotices, stragglerNotices, rotationFailureNotices: await runLocalReminders(context, nowMs, 'rotation-failure-notices') };
}

/**
 * `npm start`'s timers, as the EventBridge rules in AWS: the first run a few minutes after start
 * (a stack started for a moment sends nothing), then the reminders daily and the budget alerts
 * and exposure notices every 5 minutes. `KEYWARDEN_REMINDERS=off` turns them all off. Returns the cancel.
 */
export function scheduleLocalReminders(
  context: LocalBotContext,
  options: { firstAfterMs?: number; everyMs?: number; budgetEveryMs?: number; runJob?: (job: LocalJob) => Promise<unknown> } = {},
): () => void {
  if (context.env.KEYWARDEN_REMINDERS === 'off') return () => undefined;
  // Each bot logs its own run; a bot that fails is reported as skipped, never thrown.
  const runJob = options.runJob ?? ((job: LocalJob) => runLocalReminders(context, Date.now(), job));
  const timers: NodeJS.Timeout[] = [];
  const every = (job: LocalJob, ms: number) => {
    // A tick that finds the job's last run still going is skipped: runs never pile up on a busy
    // stack (each makes its own /v1 calls; stacked, they slowed one another until none finished).
    let running = false;
    const run = () => {
      if (running) return;
      running = true;
      void runJob(job)
        .catch(() => undefined)
        .finally(() => {
          running = false;
        });
    };
    const first = setTimeout(() => {
      run();
      const interval = setInterval(run, ms);
      interval.unref();
      timers.push(interval);
    }, options.firstAfterMs ?? 5 * 60_000);
    first.unref();
    timers.push(first);
  };
  every('reminders', options.everyMs ?? 86_400_000);
  every('budget-alerts', options.budgetEveryMs ?? 5 * 60_000);
  every('exposure-notices', options.budgetEveryMs ?? 5 * 60_000);
  every('straggler-notices', options.budgetEveryMs ?? 5 * 60_000);
  every('rotation-failure-notices', options.budgetEveryMs ?? 5 * 60_000);
  return () => {
    for (const timer of timers) clearTimeout(timer);
  };
}
