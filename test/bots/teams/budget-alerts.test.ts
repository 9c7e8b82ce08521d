import { describe, expect, it } from 'vitest';
import { runLocalJobs, runLocalReminders, scheduleLocalReminders } from '../../../bots/local-reminders';
import { findKeysInText } from '../../../lambdas/core/key-scan';
import { setBudgetState } from '../budget-state';
import { ADMIN, BOT, TENANT, USER, executeAction, personalChat, submitAction } from './activities';
import { cardOf, cardText, useTeamsHarness } from './harness';

/**
 * Issue 21 budget alerts on Teams: the run `npm start`'s timer and `keywarden reminders run` use,
 * against the real local stack; alerts to the admin's 1:1 chat (saved at install) through the
 * stand-in connector; the buttons clicked as Bot Framework activities through botbuilder's adapter.
 */
const h = useTeamsHarness();

function installed(person: typeof ADMIN) {
  return {
    id: `install-${person.aadObjectId}`,
    type: 'conversationUpdate',
    timestamp: new Date().toISOString(),
    channelId: 'msteams',
    serviceUrl: h.serviceUrl,
    from: person,
    recipient: BOT,
    conversation: { ...personalChat(person), tenantId: TENANT },
    channelData: { tenant: { id: TENANT } },
    membersAdded: [BOT],
  };
}

const context = () => ({ secrets: h.stack.secrets, baseUrl: h.stack.url, env: {} });
const runAlerts = () => runLocalReminders(context(), Date.now(), 'budget-alerts');
const inAdminChat = () => h.connector.in(personalChat(ADMIN).id).filter((c) => c.activity?.attachments);
const newKey = async (name: string) => (await h.stack.json('/v1/keys', { key: h.stack.adminKey, body: { name, type: 'viewer' } })).body as { id: string; key: string; start: string };
const keyNow = async (id: string) => (await h.stack.json(`/v1/keys/${id}`, { key: h.stack.adminKey })).body;
const click = (action: { verb: string; data: Record<string, unknown> }, from = ADMIN, extra: Record<string, unknown> = {}) =>
  h.send(executeAction({ serviceUrl: h.serviceUrl, from, conversation: personalChat(from), verb: action.verb, data: { ...action.data, ...extra } }));
const button = (card: any, title: string) => card.actions.find((a: { title: string }) => a.title === title);

describe('Teams budget alerts', () => {
  it('80 % then 100 %: one alert each in the admin’s 1:1 chat, none twice — job run twice at once or again — and none to others', async () => {
    expect((await h.send(installed(ADMIN))).status).toBe(200);
    expect((await h.send(installed(USER))).status).toBe(200);
    const key = await newKey('team spend');
    await setBudgetState(h.stack, key.id, { credits: 50, period: 'week' }, 40);
    h.connector.reset();

    const [a, b] = await Promise.all([runAlerts(), runAlerts()]);
    expect([a.teams, b.teams].map((r) => ('sent' in r ? r.sent : -1)).sort()).toEqual([0, 1]);
    const [alert] = inAdminChat();
    expect(inAdminChat()).toHaveLength(1);
    const card = cardOf(alert!);
    expect(cardText(card)).toContain('has used 80 % of its budget for this week (40 of 50 credits)');
    expect(cardText(card)).toContain(key.start);
    // In the week's last 5 s the reset is "just now" (key-text.ts relativeTime).
    expect(cardText(card)).toMatch(/Budget: 40 of 50 credits spent this week \(80 %\), resets (in|just now)/);
    expect(card.actions.map((x: { title: string }) => x.title)).toEqual(['Raise budget…', 'Pause key']);
    expect(findKeysInText(JSON.stringify(alert))).toEqual([]);
    expect(h.connector.in(personalChat(USER).id).filter((c) => c.activity?.attachments)).toEqual([]);
    expect((await runAlerts()).teams).toMatchObject({ sent: 0, alreadySent: 1 });

    h.connector.reset();
    await setBudgetState(h.stack, key.id, { credits: 50, period: 'week' }, 50);
    // `reminders run` runs the alerts with the reminders.
    const both = await runLocalJobs(context());
    expect(both.budgetAlerts.teams).toMatchObject({ sent: 1 });
    expect(cardText(cardOf(inAdminChat()[0]!))).toContain('has used up its budget for this week');
    expect((await runAlerts()).teams).toMatchObject({ sent: 0, alreadySent: 1 });
  });

  it('Pause key: the usual confirmation; a non-admin’s click does nothing; the admin’s confirm pauses', async () => {
    const key = await newKey('pause on alert');
    await setBudgetState(h.stack, key.id, { credits: 5, period: 'day' }, 5);
    h.connector.reset();
    expect((await runAlerts()).teams).toMatchObject({ sent: 1 });
    const alert = cardOf(inAdminChat()[0]!);

    const refused = await click(button(alert, 'Pause key'), USER);
    expect(JSON.stringify(refused.body)).toContain('only admins of this project');
    const asked = await click(button(alert, 'Pause key'));
    expect(cardText(asked.body.value)).toContain('Pause this key?');
    expect(cardText(asked.body.value)).toContain('Status: active → paused');
    expect((await keyNow(key.id)).status).toBe('active');

    const confirm = button(asked.body.value, 'Pause key');
    const member = await click(confirm, USER);
    expect(member.body.value).toContain('only admins of this project');
    expect((await keyNow(key.id)).status).toBe('active');
    const done = await click(confirm);
    expect(cardText(done.body.value)).toContain('Key “pause on alert” paused');
    expect((await keyNow(key.id)).status).toBe('disabled');
    expect((await h.stack.call('/v1/models', { key: key.key })).status).toBe(401);
  });

  it('Raise budget…: a form for an admin only, then the confirmation before → after; the budget changes only on the admin’s confirm', async () => {
    const key = await newKey('raise on alert');
    await setBudgetState(h.stack, key.id, { credits: 10, period: 'month' }, 9);
    h.connector.reset();
    expect((await runAlerts()).teams).toMatchObject({ sent: 1 });
    const alert = cardOf(inAdminChat()[0]!);

    const refused = await click(button(alert, 'Raise budget…'), USER);
    expect(JSON.stringify(refused.body)).toContain('only admins of this project');
    const form = await click(button(alert, 'Raise budget…'));
    const formCard = form.body.value;
    expect(cardText(formCard)).toContain('Change the budget of “raise on alert”');
    expect(formCard.body.find((e: { type: string }) => e.type === 'Input.Text')).toMatchObject({ id: 'budget', value: '20/month' });

    const review = button(formCard, 'Review change');
    const bad = await click(review, ADMIN, { budget: 'plenty' });
    expect(bad.body.value).toContain('must look like 20/month');
    const asked = await click(review, ADMIN, { budget: '25/month' });
    expect(cardText(asked.body.value)).toContain('Budget: 10 credits/month → 25 credits/month');
    expect((await keyNow(key.id)).budget).toMatchObject({ credits: 10 });

    const confirm = button(asked.body.value, 'Set budget');
    expect((await click(confirm, USER)).body.value).toContain('only admins of this project');
    // The Action.Submit fallback of the same button, by the non-admin: still nothing.
    expect((await h.send(submitAction({ serviceUrl: h.serviceUrl, from: USER, data: confirm.fallback.data }))).status).toBe(200);
    expect((await keyNow(key.id)).budget).toMatchObject({ credits: 10 });
    const done = await click(confirm);
    expect(cardText(done.body.value)).toContain('Key “raise on alert” has a new budget');
    expect((await keyNow(key.id)).budget).toMatchObject({ credits: 25, period: 'month', spent: 9 });
  });

  it('npm start’s timer runs the alerts every few minutes, beside the daily reminders (intervals shortened here)', async () => {
    const key = await newKey('timed spend');
    await setBudgetState(h.stack, key.id, { credits: 8, period: 'week' }, 7);
    h.connector.reset();
    const cancel = scheduleLocalReminders(context(), { firstAfterMs: 10, everyMs: 86_400_000, budgetEveryMs: 50 });
    try {
      // A bounded wait, not a timing target: on a loaded machine one pass over the keys takes seconds.
      await h.connector.waitFor(() => inAdminChat().some((c) => cardText(cardOf(c)).includes('timed spend')), 90_000);
    } finally {
      cancel();
    }
    // Several ticks ran by now; still one alert.
    await new Promise((r) => setTimeout(r, 200));
    expect(inAdminChat().filter((c) => cardText(cardOf(c)).includes('timed spend'))).toHaveLength(1);
  }, 120_000);
});
