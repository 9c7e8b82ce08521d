import { describe, expect, it } from 'vitest';
import { runLocalJobs, runLocalReminders } from '../../../bots/local-reminders';
import { findKeysInText } from '../../../lambdas/core/key-scan';
import { ADMIN, BOT, CHANNEL, TENANT, USER, executeAction, message, personalChat } from './activities';
import { ADMIN_IDENTITY, cardOf, cardText, keysOutsidePersonalChats, useTeamsHarness } from './harness';

/**
 * Issue 22 on Teams: a key posted in a channel is revoked at once by the leak guard; every
 * exposure reaches the project's Teams admins once, in their 1:1 chat (saved at install), from
 * the 5-minute job as `npm start` and `keywarden reminders run` run it, with what the key did
 * since; `Create replacement` and `Show usage` clicked as Bot Framework activities through
 * botbuilder's adapter, against the real local stack and the stand-in connector.
 */
const h = useTeamsHarness();

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

const context = () => ({ secrets: h.stack.secrets, baseUrl: h.stack.url, env: {} });
const runNotices = async () => {
  await h.stack.idle();
  return runLocalReminders(context(), Date.now(), 'exposure-notices');
};
const noticesAbout = (keyId: string) =>
  h.connector.in(personalChat(ADMIN).id).filter((c) => c.activity?.attachments && cardText(cardOf(c)).includes(keyId) && cardText(cardOf(c)).includes('was exposed'));
const newKey = async (name: string) =>
  (await h.stack.json('/v1/keys', { key: h.stack.adminKey, body: { name, scopes: ['models:read', 'responses:write'], rateLimit: { limit: 42, windowSeconds: 60 } } })).body as {
    id: string;
    key: string;
    start: string;
  };
const click = (action: { verb: string; data: Record<string, unknown> }, from = ADMIN) =>
  h.send(executeAction({ serviceUrl: h.serviceUrl, from, conversation: personalChat(from), verb: action.verb, data: action.data }));
const button = (card: any, title: string) => card.actions.find((a: { title: string }) => a.title === title);

describe('Teams exposure notices', () => {
  it('a key posted in a channel is revoked at once; the admin’s notice arrives once — the job run twice at once, then again — with the usage since', async () => {
    expect((await h.send(installed(ADMIN))).status).toBe(200);
    expect((await h.send(installed(USER))).status).toBe(200);
    const leaked = await newKey('posted in teams');
    await h.send(message({ serviceUrl: h.serviceUrl, from: USER, text: `use ${leaked.key}`, mention: false }));
    await h.connector.waitFor(() => h.connector.in(CHANNEL.id).length >= 1);
    expect(await h.stack.json('/v1/models', { key: leaked.key })).toMatchObject({ status: 401, body: { error: { code: 'key_revoked' } } });

    const [a, b] = await Promise.all([runNotices(), runNotices()]);
    expect([a.teams, b.teams].map((r) => ('sent' in r ? r.sent : -1)).sort()).toEqual([0, 1]);
    const [notice] = noticesAbout(leaked.id);
    expect(noticesAbout(leaked.id)).toHaveLength(1);
    const said = cardText(cardOf(notice!));
    expect(said).toContain('posted in teams');
    expect(said).toContain(`${leaked.start}…`);
    expect(said).toContain('Where: posted in a chat conversation');
    expect(said).toContain(`Location: https://teams.microsoft.com/l/message/${encodeURIComponent(CHANNEL.id)}/`);
    expect(said).toContain('Done: Revoked: it no longer works.');
    expect(said).toMatch(/Since the exposure: 0 calls · 0 tokens · 0 credits since /);
    expect(cardOf(notice!).actions.map((x: { title: string }) => x.title)).toEqual(['Create replacement', 'Show usage']);
    expect(findKeysInText(JSON.stringify(notice))).toEqual([]);
    // Only admins get notices; a run after sends nothing new, and neither does `reminders run`.
    expect(h.connector.in(personalChat(USER).id).filter((c) => c.activity?.attachments && cardText(cardOf(c)).includes('was exposed'))).toEqual([]);
    expect((await runNotices()).teams).toMatchObject({ sent: 0, alreadySent: 1 });
    expect((await runLocalJobs(context())).exposureNotices.teams).toMatchObject({ sent: 0 });
    expect(keysOutsidePersonalChats(h)).toEqual([]);
  });

  it('a GitHub exposure: the notice once with what the key did since; Show usage; Create replacement for the clicking admin only', async () => {
    const stolen = await newKey('pushed from teams');
    h.stack.clock.advance(1_000);
    await h.stack.services.store.markExposed(stolen.id, { source: 'github', location: 'https://github.com/acme/bot/blob/main/config.yml', at: new Date(h.stack.clock.now()).toISOString() });
    h.stack.clock.advance(1_000);
    for (const ua of ['curl/8.5.0', '[click](https://evil.example)']) {
      expect((await h.stack.json('/v1/responses', { key: stolen.key, body: { model: 'archibot', input: 'steal' }, headers: { 'user-agent': ua } })).status).toBe(200);
    }
    expect((await h.stack.services.keys.exposed(stolen.key, { source: 'github', location: 'https://github.com/acme/bot/blob/main/config.yml' }))?.handled).toBe('revoked');

    expect((await runNotices()).teams).toMatchObject({ sent: 1 });
    expect((await runNotices()).teams).toMatchObject({ sent: 0 });
    const [notice] = noticesAbout(stolen.id);
    expect(noticesAbout(stolen.id)).toHaveLength(1);
    const card = cardOf(notice!);
    expect(cardText(card)).toContain('Where: pushed to a public GitHub repository');
    expect(cardText(card)).toContain('Location: https://github.com/acme/bot/blob/main/config.yml');
    expect(cardText(card)).toMatch(/Since the exposure: 2 calls · [\d,]+ tokens/);
    expect(cardText(card)).toContain('curl/8.5.0');
    // The caller chose its user agent: shown as text, never as a link.
    expect(cardText(card)).toContain('[click]\u200b(https://evil.example)');
    expect(cardText(card)).not.toContain('[click](');

    const usage = await click(button(card, 'Show usage'), USER);
    expect(cardText(usage.body.value)).toContain('did since it was first seen exposed');
    expect(cardText(usage.body.value)).toContain('curl/8.5.0');

    const sameName = async () => (await h.stack.json('/v1/keys?limit=200', { key: h.stack.adminKey })).body.data.filter((k: { name: string }) => k.name === 'pushed from teams');
    const refused = await click(button(card, 'Create replacement'), USER);
    expect(JSON.stringify(refused.body)).toContain('only admins of this project');
    expect(await sameName()).toHaveLength(1);

    const asked = await click(button(card, 'Create replacement'));
    expect(cardText(asked.body.value)).toContain('Create a replacement for');
    const confirm = button(asked.body.value, 'Create replacement');
    expect((await click(confirm, USER)).body.value).toContain('only admins of this project');
    expect(await sameName()).toHaveLength(1);

    h.connector.reset();
    const done = await click(confirm);
    expect(done.status).toBe(200);
    expect(findKeysInText(JSON.stringify(done.body))).toEqual([]);
    // The value went to the clicking admin's 1:1 chat, and nowhere else.
    const delivered = h.connector.history.filter((c) => findKeysInText(JSON.stringify(c)).length > 0);
    expect(delivered.map((c) => c.conversationId)).toEqual([personalChat(ADMIN).id]);
    const [value] = findKeysInText(JSON.stringify(delivered[0]));
    expect((await h.stack.call('/v1/models', { key: value! })).status).toBe(200);
    const fresh = (await sameName()).find((k: { id: string }) => k.id !== stolen.id);
    expect(fresh).toMatchObject({ status: 'active', scopes: ['models:read', 'responses:write'], rateLimit: { limit: 42, windowSeconds: 60 }, exposure: null, createdBy: expect.stringContaining(ADMIN_IDENTITY) });
  });

  it('`exposed <key>` in the 1:1 chat: the admin’s confirmation reports it (revoked), and the notice follows', async () => {
    const reported = await newKey('reported in teams');
    const asked = await h.send(message({ serviceUrl: h.serviceUrl, from: ADMIN, conversation: personalChat(ADMIN), text: `exposed ${reported.id}` }));
    expect(asked.status).toBe(200);
    await h.connector.waitFor(() => h.connector.in(personalChat(ADMIN).id).some((c) => c.activity?.attachments && cardText(cardOf(c)).includes('Report this key exposed?')));
    const question = h.connector.in(personalChat(ADMIN).id).find((c) => c.activity?.attachments && cardText(cardOf(c)).includes('Report this key exposed?'))!;
    const done = await click(button(cardOf(question), 'Report exposed'));
    expect(JSON.stringify(done.body)).toContain('it has been revoked and no longer works');
    const key = (await h.stack.json(`/v1/keys/${reported.id}`, { key: h.stack.adminKey })).body;
    expect(key).toMatchObject({ status: 'revoked', exposure: { source: 'report', location: `reported in Teams by ${ADMIN_IDENTITY}` } });
    expect((await runNotices()).teams).toMatchObject({ sent: 1 });
    expect(cardText(cardOf(noticesAbout(reported.id)[0]!))).toContain('Where: reported exposed');
  });
});
