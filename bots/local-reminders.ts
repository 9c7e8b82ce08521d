import type { LocalBotContext } from './boot/bot-mount';
import { botLog, errorLabel } from './boot/bot-log';
import { SlackWorkReceiver } from './slack/ack-first/worker';
import { sendSlackReminders } from './slack/expiry-reminders';
import { localSlackConfig } from './slack/local-mount';
import { createSlackBot } from './slack/slack-app';
import { localTeamsConfig } from './teams';
import { createTeamsBot } from './teams/teams-bot';

export interface LocalReminderRun {
  slack: { sent: number; failed: number; alreadySent: number } | { skipped: string };
  teams: { sent: number; failed: number; unreachable: number; alreadySent: number } | { skipped: string };
}

/**
 * The daily expiry reminders on the local stack (issue 12): what the EventBridge rule starts in
 * AWS, run for both bots against the local /v1 — by the timer in `npm start`, and now by
 * `keywarden reminders run`. A bot that is not configured is skipped, saying why.
 */
export async function runLocalReminders(context: LocalBotContext, nowMs = Date.now()): Promise<LocalReminderRun> {
  let slack: LocalReminderRun['slack'];
  try {
    const configured = localSlackConfig(context);
    slack = configured.ok
      ? await sendSlackReminders(createSlackBot(configured.config, new SlackWorkReceiver(), botLog('slack')), nowMs)
      : { skipped: configured.missing };
  } catch (err) {
    slack = { skipped: errorLabel(err) };
  }
  let teams: LocalReminderRun['teams'];
  try {
    teams = await createTeamsBot(localTeamsConfig(context)).sendReminders(nowMs);
  } catch (err) {
    teams = { skipped: errorLabel(err) };
  }
  return { slack, teams };
}

/**
 * `npm start`'s timer: the first run a few minutes after start (a stack started for a moment
 * sends nothing), then daily. `KEYWARDEN_REMINDERS=off` turns it off. Returns the cancel.
 */
export function scheduleLocalReminders(context: LocalBotContext, options: { firstAfterMs?: number; everyMs?: number } = {}): () => void {
  if (context.env.KEYWARDEN_REMINDERS === 'off') return () => undefined;
  // Each bot logs its own run; a bot that fails is reported as skipped, never thrown.
  const run = () => void runLocalReminders(context);
  let every: NodeJS.Timeout | undefined;
  const first = setTimeout(() => {
    run();
    every = setInterval(run, options.everyMs ?? 86_400_000);
    every.unref();
  }, options.firstAfterMs ?? 5 * 60_000);
  first.unref();
  return () => {
    clearTimeout(first);
    if (every) clearInterval(every);
  };
}
