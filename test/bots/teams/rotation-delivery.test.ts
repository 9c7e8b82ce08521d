import { afterEach, describe, expect, it, vi } from 'vitest';
import { runLocalReminders } from '../../../bots/local-reminders';
import { keyRotationSchedule } from '../../../lambdas/adapters/rotation-delivery-wiring';
import { findKeysInText } from '../../../lambdas/core/key-scan';
import { storedItems } from '../../support/stored-items';
import { ADMIN, BOT, TENANT, USER, executeAction, personalChat } from './activities';
import { ADMIN_IDENTITY, cardOf, cardText, keysOutsidePersonalChats, useTeamsHarness } from './harness';

/**
 * Issue 25 point 2 on Teams, `deliverTo: {owner}`: the owner is a member the bot met (they
 * installed it: their 1:1 chat is saved), not an admin. A key due for rotation is rotated by the
 * job; the owner's 1:1 chat gets a card with `Collect key` from the 5-minute notices (once); their
 * click — an `adaptiveCard/action` invoke through botbuilder's adapter — delivers the new value in
 * that chat, once; the admin's click with the same button is refused and audited. The value is in
 * that one card and nowhere else.
 *
 * `Date` is moved a day ahead for the job (so the bot's assertions agree with the API), and back
 * before the clicks; the value is held for a day.
 */
const h = useTeamsHarness();
const DAY = 86_400_000;
const OWNER = `teams:${TENANT}:${USER.aadObjectId}`;
afterEach(() => vi.useRealTimers());

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

const notices = async () => {
  await h.stack.idle();
  return runLocalReminders({ secrets: h.stack.secrets, baseUrl: h.stack.url, env: {} }, Date.now(), 'rotation-failure-notices');
};
const click = (action: { verb: string; data: Record<string, unknown> }, from = ADMIN) =>
  h.send(executeAction({ serviceUrl: h.serviceUrl, from, conversation: personalChat(from), verb: action.verb, data: action.data }));
const waiting = () => h.connector.in(personalChat(USER).id).filter((c) => cardOf(c) && cardText(cardOf(c)).includes('Your rotated key is waiting'));

describe('Teams: scheduled rotation delivered to the key’s owner', () => {
  it('the owner collects the new value once in their 1:1 chat; the admin’s click is refused and audited; the value nowhere else', async () => {
    expect((await h.send(installed(ADMIN))).status).toBe(200);
    expect((await h.send(installed(USER))).status).toBe(200);
    const old = (
      await h.stack.json('/v1/keys', { key: h.stack.adminKey, body: { name: 'nightly [sync](https://evil.example)', scopes: ['models:read'], rotation: { every: '1d', overlap: '1h', deliverTo: { owner: OWNER } } } })
    ).body as { id: string; key: string };
    vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
    vi.setSystemTime(Date.now() + DAY + 60_000);
    expect((await keyRotationSchedule(h.stack.services).run()).rotated).toBe(1);
    const replacement = (await h.stack.json(`/v1/keys/${old.id}`, { key: h.stack.adminKey })).body.replacedBy as string;

    await Promise.all([notices(), notices()]);
    await h.connector.waitFor(() => waiting().length > 0);
    expect(waiting()).toHaveLength(1);
    const card = cardOf(waiting()[0]!);
    expect(cardText(card)).toContain(replacement);
    expect(cardText(card)).not.toContain('](https://evil.example)');
    expect(findKeysInText(JSON.stringify(card))).toEqual([]);
    const collect = card.actions.find((a: { title: string }) => a.title === 'Collect key');
    vi.useRealTimers();

    // The admin, with the owner's button: refused, no value.
    const refused = await click(collect, ADMIN);
    expect(JSON.stringify(refused.body)).toMatch(/only the key’s owner/i);
    expect(findKeysInText(JSON.stringify(refused.body))).toEqual([]);

    const collected = await click(collect, USER);
    expect(cardText(collected.body.value)).toContain('Collected the new value');
    const carrying = h.connector.history.filter((c) => findKeysInText(JSON.stringify(c)).length > 0);
    expect(carrying.map((c) => c.conversationId)).toEqual([personalChat(USER).id]);
    const raw = findKeysInText(JSON.stringify(carrying[0]))[0]!;
    expect((await h.stack.json('/v1/me', { key: raw })).body.id).toBe(replacement);
    expect(JSON.stringify((await click(collect, USER)).body)).toContain('already collected');

    expect(keysOutsidePersonalChats(h)).toEqual([]);
    expect(h.output.text()).not.toContain(raw);
    expect(JSON.stringify(await storedItems(h.stack.services))).not.toContain(raw);
    const audit = (await h.stack.json(`/v1/audit?keyId=${replacement}`, { key: h.stack.adminKey })).body.data as any[];
    const claims = audit.filter((r) => r.action === 'key.rotation_delivery.claim').map((r) => [r.actor, r.outcome]);
    expect(claims).toEqual(expect.arrayContaining([[ADMIN_IDENTITY, 'denied'], [OWNER, 'success']]));
    expect(JSON.stringify(audit)).not.toContain(raw);
  });
});
