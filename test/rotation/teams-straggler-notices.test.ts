import { describe, expect, it } from 'vitest';
import { runLocalReminders } from '../../bots/local-reminders';
import { findKeysInText } from '../../lambdas/core/key-scan';
import { ADMIN, BOT, TENANT, personalChat } from '../bots/teams/activities';
import { cardOf, cardText, useTeamsHarness } from '../bots/teams/harness';

/**
 * Issue 25 point 4 on Teams: while a rotation's overlap runs, the 5-minute job (`keywarden
 * reminders run` runs it too) tells the Teams admins — here a key rotated, so every Teams admin —
 * which callers still use the old key, once per rotation, only once someone straggles, in their
 * 1:1 chat saved at install; the caller's user agent made plain, never a key value. Through
 * botbuilder's adapter and the stand-in connector, against the real local stack.
 */
const h = useTeamsHarness();
const HOSTILE_AGENT = 'legacy [click](https://evil.example)';

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

const run = async () => {
  await h.stack.idle();
  return runLocalReminders({ secrets: h.stack.secrets, baseUrl: h.stack.url, env: {} }, h.stack.clock.now(), 'straggler-notices');
};
const noticesAbout = (keyId: string) =>
  h.connector.in(personalChat(ADMIN).id).filter((c) => c.activity?.attachments && cardText(cardOf(c)).includes(keyId) && cardText(cardOf(c)).includes('Still on the old key'));

describe('Teams straggler notices', () => {
  it('names the caller still on the old key to the Teams admin, once; nothing before anyone straggles', async () => {
    expect((await h.send(installed(ADMIN))).status).toBe(200);
    const created = (await h.stack.json('/v1/keys', { key: h.stack.adminKey, body: { name: 'report-builder', scopes: ['models:read'] } })).body as { id: string; key: string };
    const rotated = await h.stack.json(`/v1/keys/${created.id}/rotate`, { key: h.stack.adminKey, body: { overlap: '1h' } });
    expect(rotated.status).toBe(201);

    expect((await run()).teams).toMatchObject({ sent: 0 });
    expect(noticesAbout(created.id)).toEqual([]);

    h.stack.clock.advance(1000);
    expect((await h.stack.json('/v1/models', { key: created.key, headers: { 'user-agent': HOSTILE_AGENT } })).status).toBe(200);
    expect((await run()).teams).toMatchObject({ sent: 1 });
    const notices = noticesAbout(created.id);
    expect(notices).toHaveLength(1);
    const said = cardText(cardOf(notices[0]!));
    expect(said).toContain('Still on the old key “report-builder”');
    expect(said).toContain('GET /v1/models');
    expect(said).toContain('1 call');
    expect(said).toContain(rotated.body.id);
    expect(said).not.toContain('](https://evil.example)');
    const raw = JSON.stringify(notices[0]);
    expect(findKeysInText(raw)).toEqual([]);

    expect((await run()).teams).toMatchObject({ sent: 0, alreadySent: 1 });
    expect(noticesAbout(created.id)).toHaveLength(1);
  });
});
