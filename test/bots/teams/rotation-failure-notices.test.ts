import { describe, expect, it } from 'vitest';
import { runLocalReminders } from '../../../bots/local-reminders';
import { keyRotationSchedule } from '../../../lambdas/adapters/rotation-delivery-wiring';
import { findKeysInText } from '../../../lambdas/core/key-scan';
import { ADMIN, BOT, TENANT, personalChat } from './activities';
import { cardOf, cardText, useTeamsHarness } from './harness';

/**
 * Issue 25 point 2 on Teams: a scheduled rotation that could not deliver its value reaches the
 * project's Teams admin once, in the 1:1 chat saved at install, from the 5-minute job as `npm
 * start` and `keywarden reminders run` run it — through botbuilder's adapter to the stand-in
 * connector, against the real local stack. Caller-given text is made plain; never a key value.
 */
const h = useTeamsHarness();
const DAY = 86_400_000;

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
  return runLocalReminders({ secrets: h.stack.secrets, baseUrl: h.stack.url, env: {} }, h.stack.clock.now(), 'rotation-failure-notices');
};
const noticesAbout = (keyId: string) =>
  h.connector.in(personalChat(ADMIN).id).filter((c) => c.activity?.attachments && cardText(cardOf(c)).includes(keyId) && cardText(cardOf(c)).includes('Scheduled rotation failed'));

describe('Teams rotation failure notices', () => {
  it('tells the admin once in their 1:1 chat, links made plain, no key value', async () => {
    expect((await h.send(installed(ADMIN))).status).toBe(200);
    const created = (
      await h.stack.json('/v1/keys', {
        key: h.stack.adminKey,
        body: { name: 'sync [docs](https://evil.example)', scopes: ['models:read'], rotation: { every: '1d', overlap: '1h', deliverTo: { owner: 'teams:tenant1:aad-owner' } } },
      })
    ).body as { id: string; key: string };
    h.stack.clock.advance(DAY + 60_000);
    expect((await keyRotationSchedule(h.stack.services).run()).undelivered).toBeGreaterThanOrEqual(1);

    const [a, b] = await Promise.all([run(), run()]);
    expect([a.teams, b.teams].map((r) => ('sent' in r ? r.sent : -1)).sort()).toEqual([0, 1]);
    const notices = noticesAbout(created.id);
    expect(notices).toHaveLength(1);
    const said = cardText(cardOf(notices[0]!));
    expect(said).toContain('could not deliver its new value');
    expect(said).toContain('privately to teams:tenant1:aad-owner');
    expect(said).toContain('private delivery to a chat owner is not available');
    expect(said).not.toContain('](https://evil.example)');
    const raw = JSON.stringify(notices[0]);
    expect(raw).not.toContain(created.key);
    expect(findKeysInText(raw)).toEqual([]);

    expect((await run()).teams).toMatchObject({ sent: 0, alreadySent: 1 });
    expect(noticesAbout(created.id)).toHaveLength(1);
  });
});
