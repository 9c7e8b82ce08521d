import { describe, expect, it } from 'vitest';
import { findKeysInText } from '../../../lambdas/core/key-scan';
import { storedItems } from '../../support/stored-items';
import { logLines } from '../log-lines';
import { ADMIN, BOT, CHANNEL, TENANT, USER, executeAction, message, personalChat } from './activities';
import { ADMIN_IDENTITY, cardOf, cardText, keysOutsidePersonalChats, useTeamsHarness } from './harness';

/**
 * Issue 25 "Done when" on Teams: a member's `request` in a channel, as a Bot Framework activity
 * through botbuilder's adapter, reaches the admin's 1:1 chat as an approval card (the stand-in
 * connector records it); the admin's Approve click (an `adaptiveCard/action` invoke) mints the
 * key; the member is told in their 1:1 chat and collects it there once. The raw key is in that
 * one card and nowhere else: no other activity, no log line, no stored item.
 */
const h = useTeamsHarness();
const MEMBER_IDENTITY = `teams:${TENANT}:${USER.aadObjectId}`;

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

const click = (action: { verb: string; data: Record<string, unknown> }, from = ADMIN, extra: Record<string, unknown> = {}) =>
  h.send(executeAction({ serviceUrl: h.serviceUrl, from, conversation: personalChat(from), verb: action.verb, data: { ...action.data, ...extra } }));
const button = (card: any, title: string) => card.actions.find((a: { title: string }) => a.title === title);
const cardsIn = (who: typeof ADMIN, says: string) => h.connector.in(personalChat(who).id).filter((c) => cardOf(c) && cardText(cardOf(c)).includes(says));

async function ask(text: string): Promise<void> {
  const before = h.connector.in(CHANNEL.id).length;
  expect((await h.send(message({ serviceUrl: h.serviceUrl, from: USER, text }))).status).toBe(200);
  await h.connector.waitFor(() => h.connector.in(CHANNEL.id).length > before);
}

describe('Teams key request approval', () => {
  it('a member asks in a channel, the admin approves by a click, the key goes only to the member; a second click is refused', async () => {
    await h.send(installed(ADMIN));
    await h.send(installed(USER));
    await ask('request "ci deploy" --type viewer --scopes models:read,responses:write --budget 20/month --reason "the CI job"');
    await h.connector.waitFor(() => cardsIn(ADMIN, 'Key request from').length > 0);
    const card = cardOf(cardsIn(ADMIN, 'Key request from')[0]!);
    const said = cardText(card);
    for (const part of [MEMBER_IDENTITY, 'the CI job', 'ci deploy', 'viewer', 'models:read, responses:write', 'budget 20/month']) expect(said).toContain(part);
    expect(card.actions.map((a: { title: string }) => a.title)).toEqual(['Approve', 'Deny']);

    // The member cannot approve, even with the button's data.
    expect(JSON.stringify((await click(button(card, 'Approve'), USER)).body)).toMatch(/only admins|not an admin/i);

    const approved = await click(button(card, 'Approve'));
    expect(cardText(approved.body.value)).toContain('Approved request');
    expect(findKeysInText(JSON.stringify(approved.body))).toEqual([]);
    const again = await click(button(card, 'Approve'));
    expect(JSON.stringify(again.body)).toContain('already approved');

    await h.connector.waitFor(() => cardsIn(USER, 'was approved by').length > 0);
    const notice = cardOf(cardsIn(USER, 'was approved by')[0]!);
    expect(findKeysInText(JSON.stringify(notice))).toEqual([]);
    // The admin's click on Collect key is refused: only the requester collects.
    expect(findKeysInText(JSON.stringify(await click(button(notice, 'Collect key'))))).toEqual([]);

    const collected = await click(button(notice, 'Collect key'), USER);
    expect(cardText(collected.body.value)).toContain('Collected key');
    const carrying = h.connector.history.filter((c) => findKeysInText(JSON.stringify(c)).length > 0);
    expect(carrying.map((c) => c.conversationId)).toEqual([personalChat(USER).id]);
    const raw = findKeysInText(JSON.stringify(carrying[0]))[0]!;
    expect((await h.stack.json('/v1/me', { key: raw })).body).toMatchObject({ type: 'viewer', createdBy: ADMIN_IDENTITY });
    expect(JSON.stringify((await click(button(notice, 'Collect key'), USER)).body)).toContain('already collected');

    expect(keysOutsidePersonalChats(h)).toEqual([]);
    const logs = h.output.text();
    expect(logLines(logs)).toContainEqual(expect.objectContaining({ message: 'teams: card action', op: 'collect', reply: 'key_delivered' }));
    expect(logs).not.toContain(raw);
    expect(JSON.stringify(await storedItems(h.stack.services))).not.toContain(raw);

    const request = ((await h.stack.json('/v1/key-requests', { key: h.stack.adminKey })).body.data as any[]).find((r) => r.key.name === 'ci deploy');
    expect(request).toMatchObject({ status: 'approved', requester: MEMBER_IDENTITY, decidedBy: ADMIN_IDENTITY, claimed: true });
    const audit = (await h.stack.json(`/v1/audit?keyId=${request.keyId}`, { key: h.stack.adminKey })).body.data as any[];
    expect(audit.find((r) => r.action === 'key_request.approve' && r.outcome === 'success')).toMatchObject({ actor: ADMIN_IDENTITY, details: expect.objectContaining({ requester: MEMBER_IDENTITY }) });
    expect(audit.find((r) => r.action === 'key_request.claim' && r.outcome === 'success')).toMatchObject({ actor: MEMBER_IDENTITY, details: expect.objectContaining({ approver: ADMIN_IDENTITY }) });
  });

  it('Deny needs the reason typed on the card; the member reads it in their 1:1 chat', async () => {
    await ask('request "load test" --reason "benchmarks"');
    await h.connector.waitFor(() => cardsIn(ADMIN, 'load test').length > 0);
    const card = cardOf(cardsIn(ADMIN, 'load test')[0]!);
    expect(JSON.stringify((await click(button(card, 'Deny'))).body)).toContain('Say why');
    const denied = await click(button(card, 'Deny'), ADMIN, { reason: 'use the shared load-test key' });
    expect(cardText(denied.body.value)).toContain('Denied request');
    await h.connector.waitFor(() => cardsIn(USER, 'was denied by').length > 0);
    expect(cardText(cardOf(cardsIn(USER, 'was denied by')[0]!))).toContain('use the shared load-test key');
  });
});
