import { describe, expect, it } from 'vitest';
import { findKeysInText } from '../../../lambdas/core/key-scan';
import { setBudgetState } from '../budget-state';
import { CHANNEL, USER, executeAction, message } from './activities';
import { cardOf, cardText, useTeamsHarness } from './harness';

/** `budget <key> …` and `usage <key>` with a budget on Teams: activities through botbuilder's adapter, the connector a stand-in, effects read through /v1. */
const h = useTeamsHarness();

async function say(text: string, from?: typeof USER) {
  const res = await h.send(message({ serviceUrl: h.serviceUrl, text, ...(from ? { from } : {}) }));
  expect(res.status).toBe(200);
  await h.connector.waitFor(() => h.connector.in(CHANNEL.id).length >= 1);
  const [reply] = h.connector.in(CHANNEL.id);
  h.connector.reset();
  return reply!;
}

async function newKey(name: string): Promise<{ id: string; key: string }> {
  const res = await h.stack.json('/v1/keys', { key: h.stack.adminKey, body: { name, type: 'viewer' } });
  expect(res.status).toBe(201);
  return res.body;
}

const budgetOf = async (id: string) => (await h.stack.json(`/v1/keys/${id}`, { key: h.stack.adminKey })).body.budget;

describe('budget needs a button confirmation', () => {
  it('shows none → 20 credits/month; the admin’s click sets it; `none` removes it the same way', async () => {
    const target = await newKey('budget-me');
    const asked = cardOf(await say('budget budget-me 20/month'));
    expect(cardText(asked)).toContain('Change this key’s budget?');
    expect(cardText(asked)).toContain('Budget: none → 20 credits/month');
    const [go] = asked.actions;
    expect(go).toMatchObject({ verb: 'keywarden.confirm', style: 'positive' });
    expect(await budgetOf(target.id)).toBeNull();

    const res = await h.send(executeAction({ serviceUrl: h.serviceUrl, verb: go.verb, data: go.data }));
    expect(cardText(res.body.value)).toContain('Key “budget-me” has a new budget');
    expect(cardText(res.body.value)).toContain('Budget: 0 of 20 credits spent this month');
    expect(await budgetOf(target.id)).toMatchObject({ credits: 20, period: 'month' });

    const remove = cardOf(await say(`budget ${target.id} none`));
    expect(cardText(remove)).toContain('Budget: 20 credits/month → none');
    await h.send(executeAction({ serviceUrl: h.serviceUrl, verb: remove.actions[0].verb, data: remove.actions[0].data }));
    expect(await budgetOf(target.id)).toBeNull();
  });

  it('a non-admin is refused before any confirmation, and their click on an admin’s confirmation sets nothing', async () => {
    const target = await newKey('admins-budget');
    const refused = await say('budget admins-budget 1/day', USER);
    expect(refused.activity.text).toContain('only admins of this project');
    expect(cardOf(refused)).toBeUndefined();
    const [go] = cardOf(await say('budget admins-budget 1/day')).actions;
    const click = await h.send(executeAction({ serviceUrl: h.serviceUrl, from: USER, verb: go.verb, data: go.data }));
    expect(click.body.value).toContain('only admins of this project');
    expect(await budgetOf(target.id)).toBeNull();
  });
});

describe('usage with a budget', () => {
  it('a named key: today, this budget period, and spent / credits with the reset; no key named: the top keys', async () => {
    const used = await newKey('spends-daily');
    for (let i = 0; i < 2; i++) expect((await h.stack.call('/v1/models', { key: used.key })).status).toBe(200);
    await expect.poll(async () => (await h.stack.json(`/v1/usage?keyId=${used.id}`, { key: h.stack.adminKey })).body.data.length).toBe(2);
    await setBudgetState(h.stack, used.id, { credits: 5, period: 'day' }, 5);
    const one = cardText(cardOf(await say('usage spends-daily', USER)));
    expect(one).toMatch(/Today \(\d{4}-\d\d-\d\d, UTC\): 2 calls · 0 tokens · 0 credits/);
    // A day budget's period is today: said once.
    expect(one).not.toContain('This day');
    // In the day's last minute the reset is seconds away, in its last 5 s "just now" (key-text.ts relativeTime).
    expect(one).toMatch(/Budget: 5 of 5 credits spent this day \(100 %\), resets (in \d+ (hour|minute|second)s?|just now)/);
    const all = cardOf(await say('usage', USER));
    expect(cardText(all)).toContain('Top keys by credits today');
    expect(cardText(all)).toMatch(/spends-daily \(archie_\w+…\): 2 calls · 0 tokens · 0 credits · budget 100 % of 5 credits\/day/);
    expect(findKeysInText(JSON.stringify(all))).toEqual([]);
  });
});
