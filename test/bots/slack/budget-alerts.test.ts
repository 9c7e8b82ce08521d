import type { Context } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUDGET_ALERTS_EVENT } from '../../../bots/core/expiry-reminders-event';
import { createSlackLambdaHandler, type SlackLambdaHandler } from '../../../bots/slack';
import { StaticSecretsProvider } from '../../../lambdas/adapters/secrets';
import { periodEnd } from '../../../lambdas/core/budget';
import { setBudgetState } from '../budget-state';
import { ADMIN_USER, MEMBER_USER, SIGNING_SECRET, TEAM, buttonValue, keysIn, textOf, useSlackHarness } from './slack-harness';
import type { RecordedCall } from './slack-stand-in';

const SECOND_ADMIN_USER = 'UADMIN2';
type ApiCall = Extract<RecordedCall, { kind: 'api' }>;

/**
 * Issue 21 budget alerts on Slack: the scheduled event through the bot's Lambda handler against
 * the real local stack, DMs to a stand-in Web API, and the alert's buttons clicked as signed
 * Slack requests through Bolt's receiver. Spend is put on the key item as admission keeps it.
 */
describe('Slack budget alerts', () => {
  const h = useSlackHarness({ KEYWARDEN_ADMINS: `slack:${TEAM}:${ADMIN_USER},slack:${TEAM}:${SECOND_ADMIN_USER},teams:tenant1:aad-admin` });
  let lambda: SlackLambdaHandler;
  const context = { invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:keywarden-test-slack' } as Context;
  let metered: { id: string; key: string; start: string };

  beforeAll(async () => {
    lambda = createSlackLambdaHandler({
      apiBaseUrl: h.stack.url,
      slackApiUrl: h.slack.apiUrl,
      secrets: new StaticSecretsProvider({
        slack: { signingSecret: SIGNING_SECRET, botToken: 'xoxb-test' },
        botViewerKeys: h.stack.secrets.botViewerKeys,
        botAssertion: h.stack.secrets.botAssertion,
      }),
      dispatch: () => async () => undefined,
    });
    metered = (await h.stack.json('/v1/keys', { key: h.stack.adminKey, body: { name: 'metered', type: 'viewer' } })).body;
  });

  const alerts = (from: number) => h.slack.calls.slice(from).filter((c): c is ApiCall => c.kind === 'api' && c.method === 'chat.postMessage' && c.raw.includes('kw_budget'));
  /** Runs the job (`times` invocations at once) and returns the alerts they sent. */
  async function runJob(times = 1): Promise<ApiCall[]> {
    const from = h.slack.calls.length;
    const outcomes = await Promise.all(Array.from({ length: times }, () => lambda(BUDGET_ALERTS_EVENT, context)));
    for (const outcome of outcomes) expect(outcome.statusCode).toBe(200);
    return alerts(from);
  }
  const channels = (sent: ApiCall[]) => sent.map((c) => c.args.channel).sort();
  const bothAdmins = [`D${ADMIN_USER.slice(1)}`, `D${SECOND_ADMIN_USER.slice(1)}`];

  it('says nothing below 80 %; at 80 % one DM per Slack admin, once, even with the job run twice at once and again after', async () => {
    await setBudgetState(h.stack, metered.id, { credits: 20, period: 'month' }, 15.9);
    expect(await runJob()).toEqual([]);

    await setBudgetState(h.stack, metered.id, { credits: 20, period: 'month' }, 16);
    const sent = await runJob(2);
    expect(channels(sent)).toEqual(bothAdmins);
    for (const call of sent) {
      const said = textOf(call.args);
      expect(said).toContain('has used 80 % of its budget for this month (16 of 20 credits)');
      expect(said).toContain('metered');
      expect(said).toContain(metered.start);
      expect(said).toContain('Raise budget…');
      expect(said).toContain('Pause key');
      expect(keysIn(call)).toEqual([]);
    }
    expect(await runJob(2)).toEqual([]);
  });

  it('crossing 100 % sends the second alert, once', async () => {
    await setBudgetState(h.stack, metered.id, { credits: 20, period: 'month' }, 20);
    const full = await runJob(2);
    expect(channels(full)).toEqual(bothAdmins);
    expect(textOf(full[0]!.args)).toContain('has used up its budget for this month');
    expect(await runJob()).toEqual([]);

  });

  it('a key first seen past 100 % gets one alert, not two, and its 80 % never comes after', async () => {
    const jumped = (await h.stack.json('/v1/keys', { key: h.stack.adminKey, body: { name: 'jumped', type: 'viewer' } })).body;
    await setBudgetState(h.stack, jumped.id, { credits: 5, period: 'day' }, 5);
    const sent = await runJob();
    expect(channels(sent)).toEqual(bothAdmins);
    expect(sent.every((c) => textOf(c.args).includes('used up its budget for this day'))).toBe(true);
    await setBudgetState(h.stack, jumped.id, { credits: 5, period: 'day' }, 4.5);
    expect(await runJob()).toEqual([]);
  });

  it('Pause key asks the usual confirmation; a non-admin’s click is refused; the key pauses only on an admin’s confirm', async () => {
    const pausable = (await h.stack.json('/v1/keys', { key: h.stack.adminKey, body: { name: 'pausable', type: 'viewer' } })).body;
    await setBudgetState(h.stack, pausable.id, { credits: 10, period: 'total' }, 10);
    const [alert] = await runJob();
    expect(textOf(alert!.args)).toContain('has used up its whole budget: its model calls are refused until the budget is raised');
    const ask = await h.answer((await h.click('kw_budget_pause', buttonValue(alert!.args, 'kw_budget_pause'))).responseId);
    expect(textOf(ask.body)).toContain('Pause this key?');
    expect(textOf(ask.body)).toContain('Status:* active → *paused*');
    const keyStatus = async () => (await h.stack.json(`/v1/keys/${pausable.id}`, { key: h.stack.adminKey })).body.status;
    expect(await keyStatus()).toBe('active');

    const member = await h.answer((await h.click('kw_confirm', buttonValue(ask.body, 'kw_confirm'), MEMBER_USER)).responseId);
    expect(textOf(member.body)).toContain('only admins');
    expect(await keyStatus()).toBe('active');
    const memberPause = await h.answer((await h.click('kw_budget_pause', buttonValue(alert!.args, 'kw_budget_pause'), MEMBER_USER)).responseId);
    expect(textOf(memberPause.body)).toContain('only admins');
    expect(textOf(memberPause.body)).not.toContain('kw_confirm');

    const done = await h.answer((await h.click('kw_confirm', buttonValue(ask.body, 'kw_confirm'))).responseId);
    expect(textOf(done.body)).toContain('Paused *pausable*');
    expect(await keyStatus()).toBe('disabled');
    // A paused key spends nothing: no alerts about it.
    expect(await runJob()).toEqual([]);
  });

  it('Raise budget… opens a form for an admin only; its value is checked in the ack; the confirmation shows before → after and the PATCH waits for the click', async () => {
    const raised = (await h.stack.json('/v1/keys', { key: h.stack.adminKey, body: { name: 'raise me', type: 'viewer' } })).body;
    await setBudgetState(h.stack, raised.id, { credits: 20, period: 'week' }, 19);
    const [alert] = (await runJob()).filter((c) => textOf(c.args).includes('raise me'));
    const raise = buttonValue(alert!.args, 'kw_budget_raise');

    const before = h.slack.api('views.open').length;
    const refused = await h.answer((await h.click('kw_budget_raise', raise, MEMBER_USER)).responseId);
    expect(textOf(refused.body)).toContain('only admins');
    expect(h.slack.api('views.open')).toHaveLength(before);

    const { responseId } = await h.click('kw_budget_raise', raise);
    const open = await h.slack.waitFor((c): c is ApiCall => c.kind === 'api' && c.method === 'views.open', { from: h.slack.calls.length - 3 });
    expect(open.args.view.callback_id).toBe('kw_budget_modal');
    expect(JSON.stringify(open.args.view)).toContain('"initial_value":"40/week"');
    expect(JSON.stringify(open.args.view)).toContain('19 of 20 credits spent this week');

    const bad = await h.submitView(open.args.view, { kw_budget: { value: { type: 'plain_text_input', value: 'lots' } } });
    expect(await bad.json()).toMatchObject({ response_action: 'errors', errors: { kw_budget: expect.stringContaining('must look like 20/month') } });

    const ok = await h.submitView(open.args.view, { kw_budget: { value: { type: 'plain_text_input', value: '40/week' } } });
    expect(ok.status).toBe(200);
    const confirm = await h.answer(responseId);
    expect(textOf(confirm.body)).toContain('Change this key’s budget?');
    expect(textOf(confirm.body)).toContain('Budget:* 20 credits/week → *40 credits/week*');
    const budgetNow = async () => (await h.stack.json(`/v1/keys/${raised.id}`, { key: h.stack.adminKey })).body.budget;
    expect(await budgetNow()).toMatchObject({ credits: 20 });

    const member = await h.answer((await h.click('kw_confirm', buttonValue(confirm.body, 'kw_confirm'), MEMBER_USER)).responseId);
    expect(textOf(member.body)).toContain('only admins');
    expect(await budgetNow()).toMatchObject({ credits: 20 });

    const done = await h.answer((await h.click('kw_confirm', buttonValue(confirm.body, 'kw_confirm'))).responseId);
    expect(textOf(done.body)).toContain('Changed the budget of *raise me*');
    expect(await budgetNow()).toMatchObject({ credits: 40, period: 'week', spent: 19 });
  });

  // Last: the stack's clock only moves forward, and the bots sign with the real one.
  it('the next period alerts afresh', async () => {
    const fresh = (await h.stack.json('/v1/keys', { key: h.stack.adminKey, body: { name: 'monthly', type: 'viewer' } })).body;
    await setBudgetState(h.stack, fresh.id, { credits: 20, period: 'month' }, 17);
    expect(channels(await runJob())).toEqual(bothAdmins);
    expect(await runJob()).toEqual([]);
    const now = h.stack.clock.now();
    h.stack.clock.advance(periodEnd('month', now) - now + 60_000);
    await setBudgetState(h.stack, fresh.id, { credits: 20, period: 'month' }, 17);
    const next = await runJob();
    expect(channels(next)).toEqual(bothAdmins);
    expect(textOf(next[0]!.args)).toContain('80 %');
    expect(await runJob()).toEqual([]);
  });
});
