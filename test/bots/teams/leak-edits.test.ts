import { describe, expect, it } from 'vitest';
import { findKeysInText } from '../../../lambdas/core/key-scan';
import { ADMIN, CHANNEL, USER, message, personalChat } from './activities';
import { cardOf, cardText, useTeamsHarness } from './harness';

/** Issue 12: in channels where the bot is installed, an edited message (messageUpdate) is scanned too; one alert per key. */
describe('Teams leak guard: edits, once per key', () => {
  const h = useTeamsHarness();

  it('a key pasted by editing a channel message is caught; seeing it again alerts nobody twice', async () => {
    const created = await h.stack.json('/v1/keys', { key: h.stack.adminKey, body: { name: 'edited into teams', type: 'viewer' } });
    const leaked = created.body as { key: string; start: string };
    const edited = { ...message({ serviceUrl: h.serviceUrl, from: USER, text: `config: ${leaked.key}`, mention: false }), type: 'messageUpdate', channelData: { eventType: 'editMessage', tenant: { id: 'tenant1' } } };
    expect((await h.send(edited)).status).toBe(200);
    await h.connector.waitFor(() => h.connector.in(CHANNEL.id).length >= 1 && h.connector.in(personalChat(ADMIN).id).length >= 1);
    const [notice] = h.connector.in(CHANNEL.id);
    expect(cardText(cardOf(notice!))).toContain(`${leaked.start}…`);
    expect(findKeysInText(JSON.stringify(h.connector.in(CHANNEL.id)))).toEqual([]);
    const adminAlerts = h.connector.in(personalChat(ADMIN).id).length;

    // The same key, edited again and posted afresh: no second notice, no second alert.
    await h.send({ ...edited, id: `${edited.id}-2`, text: `config (fixed?): ${leaked.key}` });
    await h.send(message({ serviceUrl: h.serviceUrl, from: USER, text: `again ${leaked.key}`, mention: false }));
    await h.send(message({ serviceUrl: h.serviceUrl, from: USER, text: 'help' }));
    await h.connector.waitFor(() => h.connector.in(CHANNEL.id).length >= 2);
    expect(h.connector.in(CHANNEL.id).filter((a) => JSON.stringify(a).includes(leaked.start))).toHaveLength(1);
    expect(h.connector.in(personalChat(ADMIN).id)).toHaveLength(adminAlerts);
  });
});
