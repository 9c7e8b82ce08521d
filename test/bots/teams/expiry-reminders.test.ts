import { describe, expect, it } from 'vitest';
import { runLocalReminders } from '../../../bots/local-reminders';
import { findKeysInText } from '../../../lambdas/core/key-scan';
import { ADMIN, BOT, TENANT, USER, executeAction, personalChat } from './activities';
import { ADMIN_IDENTITY, cardOf, cardText, useTeamsHarness } from './harness';

/**
 * Issue 12 on Teams: the 1:1 chat is saved when the admin installs the bot (POST /v1/bots/conversations,
 * with the admin's assertion), the daily run sends one reminder per admin per threshold there, a
 * second run sends nothing, and Rotate… starts the usual confirmation that delivers the new key
 * privately. The run is the one `npm start`'s timer and `keywarden reminders run` use.
 */
const h = useTeamsHarness();

/** What Teams sends when a person adds the bot in their 1:1 chat. */
function installed(person: typeof ADMIN) {
  const conversation = personalChat(person);
  return {
    id: `install-${person.aadObjectId}`,
    type: 'conversationUpdate',
    timestamp: new Date().toISOString(),
    channelId: 'msteams',
    serviceUrl: h.serviceUrl,
    from: person,
    recipient: BOT,
    conversation: { ...conversation, tenantId: TENANT },
    channelData: { tenant: { id: TENANT } },
    membersAdded: [BOT],
  };
}

const run = () => runLocalReminders({ secrets: h.stack.secrets, baseUrl: h.stack.url, env: {} });

describe('Teams expiry reminders', () => {
  it('saves the 1:1 chat at install; one reminder per admin per threshold; nothing twice; Rotate… confirms and delivers privately', async () => {
    expect((await h.send(installed(ADMIN))).status).toBe(200);
    expect((await h.send(installed(USER))).status).toBe(200);
    const viewer = h.stack.secrets.botViewerKeys!.teams;
    const saved = await h.stack.json('/v1/bots/conversations?bot=teams', { key: viewer });
    expect(saved.status).toBe(200);
    const byIdentity = new Map(saved.body.data.map((c: { identity: string; reference: unknown }) => [c.identity, c.reference]));
    expect(byIdentity.get(ADMIN_IDENTITY)).toMatchObject({ serviceUrl: h.serviceUrl, conversation: { id: personalChat(ADMIN).id }, bot: { id: BOT.id } });

    const created = await h.stack.json('/v1/keys', { key: h.stack.adminKey, body: { name: 'expiring export', expiresIn: '13d' } });
    expect(created.status).toBe(201);
    h.connector.reset();

    const first = await run();
    expect(first.teams).toMatchObject({ sent: 1, failed: 0 });
    const [reminder] = h.connector.in(personalChat(ADMIN).id);
    const card = cardOf(reminder!);
    expect(cardText(card)).toContain('expires within 14 days');
    expect(cardText(card)).toContain('expiring export');
    expect(findKeysInText(JSON.stringify(reminder))).toEqual([]);
    // Only admins are told, and only in their own 1:1 chat.
    expect(h.connector.in(personalChat(USER).id)).toEqual([]);

    h.connector.reset();
    const second = await run();
    expect(second.teams).toMatchObject({ sent: 0, alreadySent: 1 });
    expect(h.connector.calls.filter((c) => c.activity)).toEqual([]);

    // Rotate… → the usual confirmation (replacing the reminder card), then the new key privately.
    const rotate = card.actions.find((a: { title: string }) => a.title === 'Rotate…');
    const asked = await h.send(executeAction({ serviceUrl: h.serviceUrl, conversation: personalChat(ADMIN), verb: rotate.verb, data: rotate.data }));
    expect(asked.body).toMatchObject({ statusCode: 200, type: 'application/vnd.microsoft.card.adaptive' });
    expect(cardText(asked.body.value)).toContain('expiring export');
    const confirm = asked.body.value.actions.find((a: { verb: string }) => a.verb === 'keywarden.confirm');
    h.connector.reset();
    const done = await h.send(executeAction({ serviceUrl: h.serviceUrl, conversation: personalChat(ADMIN), verb: confirm.verb, data: confirm.data }));
    expect(done.status).toBe(200);
    await h.connector.waitFor((calls) => calls.some((c) => findKeysInText(JSON.stringify(c)).length === 1));
    const old = await h.stack.json(`/v1/keys/${created.body.id}`, { key: h.stack.adminKey });
    expect(old.body.replacedBy).toMatch(/^key_/);
  });

  it('a non-admin clicking a forwarded Rotate… is refused', async () => {
    const rotate = { verb: 'keywarden.reminder', data: { verb: 'keywarden.reminder', button: JSON.stringify({ op: 'rotate', keyId: 'key_0000000000000000000000' }) } };
    const res = await h.send(executeAction({ serviceUrl: h.serviceUrl, from: USER, conversation: personalChat(USER), verb: rotate.verb, data: rotate.data }));
    expect(JSON.stringify(res.body)).toMatch(/admin/i);
  });
});
