import { describe, expect, it } from 'vitest';
import { periodStart } from '../../../lambdas/core/budget';
import type { BudgetPeriod } from '../../../lambdas/core/types';
import { setBudgetState } from '../budget-state';
import { MEMBER, MEMBER_USER, buttonValue, keysIn, textOf, useSlackHarness } from './slack-harness';

/** `budget <key> 20/month` and `usage <key>` with a budget, end to end: signed Slack requests → Bolt → core → /v1 → stand-in Slack. */
/** Whether `period` began today (UTC): a Monday for a week, the 1st for a month. Read at the report, as the bot reads it. */
const beganToday = (period: BudgetPeriod) => periodStart(period, Date.now()) === periodStart('day', Date.now());

describe('Slack budget and usage', () => {
  const h = useSlackHarness();
  const adminGet = async (id: string) => (await h.stack.json(`/v1/keys/${id}`, { key: h.stack.adminKey })).body;
  const newKey = async (name: string) => (await h.stack.json('/v1/keys', { key: h.stack.adminKey, body: { name, type: 'viewer' } })).body as { id: string; key: string };

  it('budget shows none → 20 credits/month and sets it only on the confirm click; `none` takes it away the same way', async () => {
    const made = await newKey('budget me');
    const confirm = await h.answer((await h.command('budget budget me 20/month')).responseId);
    expect(textOf(confirm.body)).toContain('Change this key’s budget?');
    expect(textOf(confirm.body)).toContain('Budget:* none → *20 credits/month*');
    expect(keysIn(confirm)).toEqual([]);
    expect((await adminGet(made.id)).budget).toBeNull();

    const done = await h.answer((await h.click('kw_confirm', buttonValue(confirm.body, 'kw_confirm'))).responseId);
    expect(done.body).toMatchObject({ response_type: 'ephemeral', replace_original: true });
    expect(textOf(done.body)).toContain('Changed the budget of *budget me*');
    expect(textOf(done.body)).toContain('0 of 20 credits spent this month');
    expect((await adminGet(made.id)).budget).toMatchObject({ credits: 20, period: 'month', spent: 0, remaining: 20 });

    const again = await h.answer((await h.command('budget budget me 20/mo')).responseId);
    expect(textOf(again.body)).toContain('already has a budget of 20 credits/month');

    const remove = await h.answer((await h.command(`budget ${made.id} none`)).responseId);
    expect(textOf(remove.body)).toContain('Budget:* 20 credits/month → *none*');
    await h.answer((await h.click('kw_confirm', buttonValue(remove.body, 'kw_confirm'))).responseId);
    expect((await adminGet(made.id)).budget).toBeNull();
  });

  it('5/day, 50/week and 100/total are read as such; a malformed budget is explained, nothing asked', async () => {
    await newKey('periods');
    for (const [word, shown] of [['5/day', '5 credits/day'], ['50/week', '50 credits/week'], ['100/total', '100 credits/total']]) {
      const asked = await h.answer((await h.command(`budget periods ${word}`)).responseId);
      expect(textOf(asked.body)).toContain(`none → *${shown}*`);
    }
    const bad = await h.answer((await h.command('budget periods 20/fortnight')).responseId);
    expect(textOf(bad.body)).toContain('must look like 20/month');
    expect(textOf(bad.body)).not.toContain('kw_confirm');
  });

  it('a confirmation asked before the key changed sets nothing', async () => {
    const made = await newKey('stale budget');
    const asked = await h.answer((await h.command('budget stale budget 10/day')).responseId);
    expect((await h.stack.json(`/v1/keys/${made.id}`, { key: h.stack.adminKey, method: 'PATCH', body: { metadata: { team: 'ops' } } })).status).toBe(200);
    const click = await h.answer((await h.click('kw_confirm', buttonValue(asked.body, 'kw_confirm'))).responseId);
    expect(textOf(click.body)).toContain('changed since this confirmation was shown');
    expect((await adminGet(made.id)).budget).toBeNull();
  });

  it('a non-admin is refused budget before any confirmation (audited), and a non-admin’s click on an admin’s confirmation changes nothing', async () => {
    const made = await newKey('not yours');
    const answer = await h.answer((await h.command('budget not yours 1/day', MEMBER_USER)).responseId);
    expect(textOf(answer.body)).toContain('only admins');
    expect(textOf(answer.body)).not.toContain('kw_confirm');
    const asked = await h.answer((await h.command('budget not yours 1/day')).responseId);
    const clicked = await h.answer((await h.click('kw_confirm', buttonValue(asked.body, 'kw_confirm'), MEMBER_USER)).responseId);
    expect(textOf(clicked.body)).toMatch(/admin/i);
    expect((await adminGet(made.id)).budget).toBeNull();
    const refusals = (await h.stack.json(`/v1/audit?actor=${encodeURIComponent(MEMBER)}`, { key: h.stack.adminKey })).body.data as any[];
    expect(refusals).toContainEqual(expect.objectContaining({ action: 'key.update', outcome: 'denied', viaBot: 'slack' }));
  });

  it('usage <key> says today, this budget period and where the budget stands (spent / credits, reset); with no key, the top keys', async () => {
    const made = await newKey('spender');
    for (let i = 0; i < 3; i++) expect((await h.stack.call('/v1/models', { key: made.key })).status).toBe(200);
    await expect.poll(async () => (await h.stack.json(`/v1/usage?keyId=${made.id}`, { key: h.stack.adminKey })).body.data.length).toBe(3);
    await setBudgetState(h.stack, made.id, { credits: 20, period: 'week' }, 16);
    const one = await h.answer((await h.command('usage spender', MEMBER_USER)).responseId);
    const said = textOf(one.body);
    expect(said).toMatch(/\*Today\* \(\d{4}-\d\d-\d\d, UTC\): 3 calls · 0 tokens · 0 credits/);
    // On the period's first day its total is today's, said once; otherwise it has its own line.
    if (beganToday('week')) expect(said).not.toContain('This week');
    else expect(said).toMatch(/\*This week \(since \d{4}-\d\d-\d\d, UTC\):\* 3 calls/);
    // In the week's last minute the reset is seconds away, in its last 5 s "just now" (key-text.ts relativeTime).
    expect(said).toMatch(/\*Budget:\* 16 of 20 credits spent this week \(80 %\), resets (in \d+ (day|hour|minute|second)s?|just now)/);
    expect(keysIn(one)).toEqual([]);

    const all = await h.answer((await h.command('usage', MEMBER_USER)).responseId);
    expect(textOf(all.body)).toContain('*Top keys by credits today*');
    expect(textOf(all.body)).toMatch(/\*spender\* `archie_\w+…` — 3 calls · 0 tokens · 0 credits · budget 80 % of 20 credits\/week/);
    if (beganToday('month')) expect(textOf(all.body)).not.toContain('This month');
    else expect(textOf(all.body)).toMatch(/\*This month \(since \d{4}-\d\d-01, UTC\):\*/);
  });
});
