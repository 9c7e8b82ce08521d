import { describe, expect, it } from 'vitest';
import { runLocalReminders } from '../../../bots/local-reminders';
import { findKeysInText } from '../../../lambdas/core/key-scan';
import { ADMIN, BOT, CHANNEL, GROUP_CHAT, TENANT, executeAction, message, personalChat, type Where } from './activities';
import { cardOf, cardText, useTeamsHarness } from './harness';

/**
 * Issue 25 point 4 on Teams, the conversation where a rotation happened: an admin rotates a key in
 * a channel thread (or a group chat), confirmed by the card's click; once a caller still uses the
 * old key, the 5-minute job posts one card into that conversation — the thread, addressed as Teams
 * names it (`<channel>;messageid=<root>`) — through botbuilder's continueConversationAsync, beside
 * the admin's 1:1 notice; once, never with a key value. A rotation in the 1:1 chat has no origin.
 * Through botbuilder's adapter and the stand-in connector, against the real local stack.
 */
const h = useTeamsHarness();
const ROOT = '1700000000123';
const THREAD: Where = { id: `${CHANNEL.id};messageid=${ROOT}`, conversationType: 'channel' };

const run = async () => {
  await h.stack.idle();
  return runLocalReminders({ secrets: h.stack.secrets, baseUrl: h.stack.url, env: {} }, h.stack.clock.now(), 'straggler-notices');
};
const noticesIn = (conversationId: string, keyId: string) =>
  h.connector.in(conversationId).filter((c) => c.activity?.attachments && cardText(cardOf(c)).includes(keyId) && cardText(cardOf(c)).includes('Still on the old key'));

function installed() {
  return {
    id: `install-${ADMIN.aadObjectId}`,
    type: 'conversationUpdate',
    timestamp: new Date().toISOString(),
    channelId: 'msteams',
    serviceUrl: h.serviceUrl,
    from: ADMIN,
    recipient: BOT,
    conversation: { ...personalChat(ADMIN), tenantId: TENANT },
    channelData: { tenant: { id: TENANT } },
    membersAdded: [BOT],
  };
}

async function created(name: string) {
  const res = await h.stack.json('/v1/keys', { key: h.stack.adminKey, body: { name, scopes: ['models:read'] } });
  expect(res.status).toBe(201);
  return res.body as { id: string; key: string; start: string };
}

/** `rotate <name> --overlap 1h` said in `where`, confirmed there by the card's Action.Execute; the replacement as the API shows it. */
async function rotateIn(where: Where, name: string) {
  expect((await h.send(message({ serviceUrl: h.serviceUrl, text: `rotate ${name} --overlap 1h`, conversation: where }))).status).toBe(200);
  await h.connector.waitFor(() => h.connector.in(where.id).some((c) => cardText(cardOf(c) ?? {}).includes('Rotate this key?')));
  const confirm = h.connector.in(where.id).find((c) => cardText(cardOf(c) ?? {}).includes('Rotate this key?'))!;
  const [go] = cardOf(confirm).actions;
  const res = await h.send(executeAction({ serviceUrl: h.serviceUrl, verb: go.verb, data: go.data, conversation: where }));
  expect(cardText(res.body.value)).toContain('Rotated key');
  return res;
}

async function replacementOf(oldId: string) {
  const replacedBy = (await h.stack.json(`/v1/keys/${oldId}`, { key: h.stack.adminKey })).body.replacedBy as string;
  return (await h.stack.json(`/v1/keys/${replacedBy}`, { key: h.stack.adminKey })).body;
}

async function straggle(key: string) {
  h.stack.clock.advance(1000);
  expect((await h.stack.json('/v1/models', { key, headers: { 'user-agent': 'legacy-cron/2.0' } })).status).toBe(200);
}

describe('Teams straggler notices in the rotation’s conversation', () => {
  it('rotated in a channel thread: one card in that thread and one in the admin’s 1:1 chat; a second run posts nothing', async () => {
    expect((await h.send(installed())).status).toBe(200);
    const old = await created('thread-rotated');
    await rotateIn(THREAD, 'thread-rotated');
    expect((await replacementOf(old.id)).rotatedIn).toEqual({ channel: `teams:${TENANT}:${CHANNEL.id}`, thread: ROOT, serviceUrl: h.serviceUrl });

    await straggle(old.key);
    expect((await run()).teams).toMatchObject({ sent: 1, threads: { sent: 1, failed: 0, unreachable: 0 } });
    const inThread = noticesIn(THREAD.id, old.id);
    expect(inThread).toHaveLength(1);
    expect(noticesIn(CHANNEL.id, old.id)).toEqual([]);
    expect(noticesIn(personalChat(ADMIN).id, old.id)).toHaveLength(1);
    const said = cardText(cardOf(inThread[0]!));
    expect(said).toContain('Still on the old key “thread-rotated”');
    expect(said).toContain(old.start);
    expect(said).toContain('legacy-cron/2.0');
    expect(said).toContain('GET /v1/models');
    expect(said).toContain('1 call');
    const raw = JSON.stringify(inThread[0]);
    expect(raw).not.toContain(old.key);
    expect(findKeysInText(raw)).toEqual([]);

    expect((await run()).teams).toMatchObject({ sent: 0, alreadySent: 2, threads: { sent: 0 } });
    expect(noticesIn(THREAD.id, old.id)).toHaveLength(1);
  });

  it('rotated in a group chat: the card goes to that chat', async () => {
    const old = await created('group-rotated');
    await rotateIn(GROUP_CHAT, 'group-rotated');
    expect((await replacementOf(old.id)).rotatedIn).toEqual({ channel: `teams:${TENANT}:${GROUP_CHAT.id}`, serviceUrl: h.serviceUrl });
    await straggle(old.key);
    expect((await run()).teams).toMatchObject({ threads: { sent: 1 } });
    expect(noticesIn(GROUP_CHAT.id, old.id)).toHaveLength(1);
  });

  it('rotated in the 1:1 chat: no origin, the admin’s 1:1 notice only', async () => {
    expect((await h.send(installed())).status).toBe(200);
    const old = await created('personal-rotated');
    await rotateIn(personalChat(ADMIN), 'personal-rotated');
    expect((await replacementOf(old.id)).rotatedIn).toBeNull();
    await straggle(old.key);
    expect((await run()).teams).toMatchObject({ sent: 1, threads: { sent: 0 } });
    expect(noticesIn(personalChat(ADMIN).id, old.id)).toHaveLength(1);
    expect(h.connector.calls.filter((c) => !c.conversationId.startsWith('a:personal-') && JSON.stringify(c).includes(old.id))).toEqual([]);
  });
});
