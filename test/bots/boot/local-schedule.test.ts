/**
 * `npm start`'s timers (bots/local-reminders.ts `scheduleLocalReminders`): a tick that finds its
 * job's last run still going is skipped, so a run slower than its interval (a busy stack, many
 * keys) never has company — found when five-minute jobs ticking every 50 ms in a test stacked up
 * on a loaded machine until none of them finished.
 */
import { expect, it } from 'vitest';
import type { LocalBotContext } from '../../../bots/boot/bot-mount';
import { scheduleLocalReminders, type LocalJob } from '../../../bots/local-reminders';

it('a job slower than its interval runs again only once its last run ended, each job on its own', async () => {
  const running = new Map<LocalJob, number>();
  const most = new Map<LocalJob, number>();
  const started = new Map<LocalJob, number>();
  const runJob = async (job: LocalJob) => {
    running.set(job, (running.get(job) ?? 0) + 1);
    most.set(job, Math.max(most.get(job) ?? 0, running.get(job)!));
    started.set(job, (started.get(job) ?? 0) + 1);
    // 60 ms a run, ticks every 5 ms; one of the runs fails, and the job still goes on.
    await new Promise((r) => setTimeout(r, 60));
    running.set(job, running.get(job)! - 1);
    if (job === 'budget-alerts' && started.get(job) === 1) throw new Error('the API was down');
  };
  const cancel = scheduleLocalReminders({ env: {} } as unknown as LocalBotContext, { firstAfterMs: 1, everyMs: 5, budgetEveryMs: 5, runJob });
  await new Promise((r) => setTimeout(r, 400));
  cancel();
  const jobs: LocalJob[] = ['reminders', 'budget-alerts', 'exposure-notices', 'straggler-notices', 'rotation-failure-notices'];
  // Each job ran several times (a failed run ends like any other), never two of its runs at once.
  for (const job of jobs) {
    expect(started.get(job), job).toBeGreaterThanOrEqual(2);
    expect(started.get(job), job).toBeLessThanOrEqual(8);
    expect(most.get(job), job).toBe(1);
  }
  // The jobs themselves run side by side: one job's run does not hold back another's.
  expect(Math.max(...jobs.map((job) => started.get(job)!))).toBeGreaterThanOrEqual(2);
});

it('KEYWARDEN_REMINDERS=off schedules nothing', async () => {
  let runs = 0;
  const cancel = scheduleLocalReminders({ env: { KEYWARDEN_REMINDERS: 'off' } } as unknown as LocalBotContext, {
    firstAfterMs: 1,
    everyMs: 5,
    runJob: async () => {
      runs += 1;
    },
  });
  await new Promise((r) => setTimeout(r, 50));
  cancel();
  expect(runs).toBe(0);
});
