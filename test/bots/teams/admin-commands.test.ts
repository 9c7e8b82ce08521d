import { describe, expect, it } from 'vitest';
import { findKeysInText } from '../../../lambdas/core/key-scan';
import { ADMIN, CHANNEL, GROUP_CHAT, USER, executeAction, message, personalChat, submitAction } from './activities';
import { ADMIN_IDENTITY, cardOf, cardText, keysOutsidePersonalChats, useTeamsHarness } from './harness';

/**
 * The Teams bot's admin commands through the real local stack: Bot Framework activities in,
 * connector calls out, effects checked through /v1 with the bootstrap admin key.
 */
const h = useTeamsHarness();

async function say(text: string, options: { from?: typeof ADMIN; conversation?: typeof CHANNEL | ReturnType<typeof personalChat> | typeof GROUP_CHAT } = {}) {
  const activity = message({ serviceUrl: h.serviceUrl, text, ...options });
  const res = await h.send(activity);
  expect(res.status).toBe(200);
  return activity;
}

/** The bot's replies in a conversation, waiting for at least `count`. */
async function repliesIn(conversationId: string, count = 1) {
  await h.connector.waitFor(() => h.connector.in(conversationId).length >= count);
  return h.connector.in(conversationId);
}

async function createKeyAsAdmin(name: string): Promise<{ id: string; key: string }> {
  const res = await h.stack.json('/v1/keys', { key: h.stack.adminKey, body: { name, type: 'viewer' } });
  expect(res.status).toBe(201);
  return { id: res.body.id, key: res.body.key };
}

async function keyRecord(id: string) {
  return h.stack.json(`/v1/keys/${id}`, { key: h.stack.adminKey });
}

describe('reading', () => {
  it('list answers in the channel with a card of keys, as a reply to the message, with no key values', async () => {
    const asked = await say('list');
    const [reply] = await repliesIn(CHANNEL.id);
    expect(reply!.activityId).toBe(asked.id);
    const card = cardOf(reply!);
    expect(card).toMatchObject({ type: 'AdaptiveCard', version: '1.5' });
    expect(cardText(card)).toContain('Bootstrap admin key');
    expect(cardText(card)).toContain('Teams bot viewer key');
    expect(findKeysInText(JSON.stringify(reply))).toEqual([]);
  });

  it('list <search> narrows the list', async () => {
    await say('list bootstrap');
    const [reply] = await repliesIn(CHANNEL.id);
    const text = cardText(cardOf(reply!));
    expect(text).toContain('Bootstrap admin key');
    expect(text).not.toContain('Teams bot viewer key');
  });

  it('show, help and whoami render cards', async () => {
    await say('show Bootstrap admin key');
    await say('help');
    await say('whoami');
    const replies = await repliesIn(CHANNEL.id, 3);
    const texts = replies.map((r) => cardText(cardOf(r)));
    expect(texts.find((t) => t.includes('Key “Bootstrap admin key”'))).toContain('Start: archie_');
    expect(texts.find((t) => t.includes('Keywarden commands'))).toContain('rotate <key> [--overlap 1h]');
    const whoami = texts.find((t) => t.includes('Who you are'))!;
    expect(whoami).toContain(`Identity: ${ADMIN_IDENTITY}`);
    expect(whoami).toContain('Admin: yes');
  });

  it('audit lists who did what to a key', async () => {
    const { id } = await createKeyAsAdmin('audited');
    await say(`audit ${id}`);
    const [reply] = await repliesIn(CHANNEL.id);
    const text = cardText(cardOf(reply!));
    expect(text).toContain('Audit trail of “audited”');
    expect(text).toMatch(/\*\*key.create\*\* · success · key:key_/);
  });

  it('usage, for anyone: today’s calls of a key, and the project’s top keys', async () => {
    const used = await createKeyAsAdmin('used-today');
    expect((await h.stack.call('/v1/models', { key: used.key })).status).toBe(200);
    await expect.poll(async () => (await h.stack.json(`/v1/usage?keyId=${used.id}`, { key: h.stack.adminKey })).body.data.length).toBe(1);
    await say('usage used-today', { from: USER });
    const [one] = await repliesIn(CHANNEL.id);
    expect(cardText(cardOf(one!))).toContain('Usage of “used-today”');
    expect(cardText(cardOf(one!))).toMatch(/Today \(\d{4}-\d\d-\d\d, UTC\): 1 call · 0 tokens · 0 credits/);
    h.connector.reset();
    await say('usage', { from: USER });
    const [all] = await repliesIn(CHANNEL.id);
    expect(cardText(cardOf(all!))).toContain('Top keys by credits');
    expect(cardText(cardOf(all!))).toMatch(/used-today \(archie_\w+…\): 1 call/);
  });

  it('an unknown word gets did-you-mean, not a chat', async () => {
    await say('lsit');
    const [reply] = await repliesIn(CHANNEL.id);
    expect(reply!.activity.text).toContain('Did you mean `list`');
  });
});

describe('create', () => {
  it('in a channel: the key goes only to the admin’s 1:1 chat; the channel hears it was sent privately', async () => {
    await say('create ci-deploy --type viewer --expires 90d --prefix ci');
    const [personal] = await repliesIn(personalChat(ADMIN).id);
    const [inChannel] = await repliesIn(CHANNEL.id);

    // The 1:1 chat was opened with exactly the asker, in their tenant.
    expect(h.connector.created).toHaveLength(1);
    expect(h.connector.created[0]!.params).toMatchObject({
      isGroup: false,
      bot: { id: '28:keywarden-bot' },
      members: [{ id: ADMIN.id, aadObjectId: ADMIN.aadObjectId }],
      tenantId: 'tenant1',
    });
    // The 1:1 message is a fresh post, not a reply.
    expect(personal!.activityId).toBeUndefined();

    const secrets = findKeysInText(JSON.stringify(personal));
    expect(secrets).toHaveLength(1);
    const secret = secrets[0]!;
    expect(secret.startsWith('ci_')).toBe(true);
    const text = cardText(cardOf(personal!));
    expect(text).toContain('New key “ci-deploy”');
    expect(text).toContain(`OPENAI_API_KEY="${secret}"`);

    expect(inChannel!.activity.text).toContain('I sent the new key to Ada Admin privately');
    expect(inChannel!.activity.text).toContain(`${secret.slice(0, 7)}`);
    expect(JSON.stringify(h.connector.in(CHANNEL.id))).not.toContain(secret);
    expect(findKeysInText(JSON.stringify(h.connector.in(CHANNEL.id)))).toEqual([]);

    // The key works at once, and the audit names the Teams user and the bot.
    expect((await h.stack.call('/v1/models', { key: secret })).status).toBe(200);
    const listed = await h.stack.json('/v1/keys?search=ci-deploy', { key: h.stack.adminKey });
    expect(listed.body.data[0]).toMatchObject({ name: 'ci-deploy', type: 'viewer', prefix: 'ci', createdBy: ADMIN_IDENTITY });
    const audit = await h.stack.json(`/v1/audit?keyId=${listed.body.data[0].id}`, { key: h.stack.adminKey });
    expect(audit.body.data).toContainEqual(expect.objectContaining({ action: 'key.create', actor: ADMIN_IDENTITY, viaBot: 'teams', outcome: 'success' }));
  });

  it('in a group chat, too, the key goes to the 1:1 chat only', async () => {
    await say('create group-made', { conversation: GROUP_CHAT });
    const [personal] = await repliesIn(personalChat(ADMIN).id);
    const [inGroup] = await repliesIn(GROUP_CHAT.id);
    expect(findKeysInText(JSON.stringify(personal))).toHaveLength(1);
    expect(findKeysInText(JSON.stringify(inGroup))).toEqual([]);
    expect(inGroup!.activity.text).toContain('privately');
  });

  it('in the 1:1 chat: the key is posted right there, no new conversation', async () => {
    const chat = personalChat(ADMIN);
    await say('create from-dm', { conversation: chat });
    const replies = await repliesIn(chat.id, 2);
    expect(h.connector.created).toHaveLength(0);
    expect(findKeysInText(JSON.stringify(replies[0]))).toHaveLength(1);
    expect(replies[1]!.activity.text).toContain('the value is in the card I just sent you');
  });

  it('with no arguments: a form card (name, type, scopes, expires); its Action.Execute creates the key privately', async () => {
    const asked = await say('create');
    const [formReply] = await repliesIn(CHANNEL.id);
    const form = cardOf(formReply!);
    const inputs = form.body.filter((e: any) => e.type.startsWith('Input.'));
    expect(inputs.map((e: any) => `${e.type}:${e.id}`)).toEqual([
      'Input.Text:name',
      'Input.ChoiceSet:type',
      'Input.ChoiceSet:scopes',
      'Input.Text:expires',
      'Input.Text:prefix',
    ]);
    expect(inputs.find((e: any) => e.id === 'scopes')).toMatchObject({ isMultiSelect: true });
    const [submit] = form.actions;
    expect(submit).toMatchObject({ type: 'Action.Execute', verb: 'keywarden.create', fallback: { type: 'Action.Submit', data: { verb: 'keywarden.create' } } });

    h.connector.reset();
    const click = executeAction({
      serviceUrl: h.serviceUrl,
      verb: submit.verb,
      data: { ...submit.data, name: 'from-form', type: 'viewer', scopes: 'models:read,responses:write', expires: '30d', prefix: '' },
      replyToId: formReply!.activity.id as string | undefined ?? asked.id,
    });
    const res = await h.send(click);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ statusCode: 200, type: 'application/vnd.microsoft.card.adaptive' });
    expect(cardText(res.body.value)).toContain('I sent the new key to Ada Admin privately');
    expect(findKeysInText(JSON.stringify(res.body))).toEqual([]);
    const [personal] = await repliesIn(personalChat(ADMIN).id);
    expect(findKeysInText(JSON.stringify(personal))).toHaveLength(1);
    const listed = await h.stack.json('/v1/keys?search=from-form', { key: h.stack.adminKey });
    expect(listed.body.data[0]).toMatchObject({ name: 'from-form', scopes: ['models:read', 'responses:write'] });
  });

  it('no personal chat reachable: no key is issued, the channel is told why', async () => {
    const before = (await h.stack.json('/v1/keys?search=unreachable', { key: h.stack.adminKey })).body.data.length;
    h.connector.failCreateConversation = true;
    await say('create unreachable');
    const [reply] = await repliesIn(CHANNEL.id);
    expect(reply!.activity.text).toContain('I can’t reach you in a personal chat, so I did not issue a key');
    expect((await h.stack.json('/v1/keys?search=unreachable', { key: h.stack.adminKey })).body.data.length).toBe(before);
  });

  it('the private post fails after creation: the unseen key is revoked at once', async () => {
    h.connector.failPersonalPosts = true;
    await say('create undeliverable');
    const [reply] = await repliesIn(CHANNEL.id);
    expect(reply!.activity.text).toContain('I could not deliver the new key privately, so I revoked it');
    const listed = await h.stack.json('/v1/keys?search=undeliverable', { key: h.stack.adminKey });
    expect(listed.body.data).toHaveLength(1);
    expect(listed.body.data[0].status).toBe('revoked');
    expect(findKeysInText(JSON.stringify(h.connector.calls))).toEqual([]);
  });

  it('a form with a bad field answers the clicker and leaves the form', async () => {
    const res = await h.send(executeAction({ serviceUrl: h.serviceUrl, verb: 'keywarden.create', data: { verb: 'keywarden.create', name: 'x', scopes: 'keys:destroy' } }));
    expect(res.body).toMatchObject({ statusCode: 200, type: 'application/vnd.microsoft.activity.message' });
    expect(res.body.value).toContain('Unknown scope "keys:destroy"');
  });
});

describe('rotate, revoke and delete need a button confirmation', () => {
  it('rotate shows name, start and last used; Action.Execute rotates; the new key arrives privately', async () => {
    const old = await createKeyAsAdmin('rotate-me');
    expect((await h.stack.call('/v1/models', { key: old.key })).status).toBe(200); // now it has a "last used"
    const asked = await say('rotate rotate-me');
    const [confirmReply] = await repliesIn(CHANNEL.id);
    expect(confirmReply!.activityId).toBe(asked.id);
    const card = cardOf(confirmReply!);
    const text = cardText(card);
    expect(text).toContain('Rotate this key?');
    expect(text).toContain('Name: rotate-me');
    expect(text).toMatch(/Start: archie_\w{4}…/);
    expect(text).toMatch(/Last used: last used (just now|\d+ seconds? ago)/);
    expect(text).toContain('the old key stops working immediately');
    expect(findKeysInText(JSON.stringify(confirmReply))).toEqual([]);
    const [go, cancel] = card.actions;
    expect(go).toMatchObject({ type: 'Action.Execute', verb: 'keywarden.confirm', style: 'destructive', fallback: { type: 'Action.Submit' } });
    expect(go.fallback.data).toEqual(go.data);
    expect(cancel).toMatchObject({ verb: 'keywarden.cancel' });

    // Nothing changed before the click.
    expect((await keyRecord(old.id)).body).toMatchObject({ status: 'active', replacedBy: null });

    h.connector.reset();
    const res = await h.send(executeAction({ serviceUrl: h.serviceUrl, verb: go.verb, data: go.data }));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ statusCode: 200, type: 'application/vnd.microsoft.card.adaptive' });
    expect(cardText(res.body.value)).toContain('Rotated key “rotate-me”');
    expect(cardText(res.body.value)).toContain('stopped working');

    const [personal] = await repliesIn(personalChat(ADMIN).id);
    const [fresh] = findKeysInText(JSON.stringify(personal));
    expect(fresh).toBeDefined();
    expect(fresh).not.toBe(old.key);
    expect(findKeysInText(JSON.stringify(h.connector.in(CHANNEL.id)))).toEqual([]);

    const after = await keyRecord(old.id);
    expect(after.body).toMatchObject({ status: 'revoked' });
    expect(after.body.replacedBy).toMatch(/^key_/);
    expect((await h.stack.call('/v1/models', { key: old.key })).status).toBe(401);
    expect((await h.stack.call('/v1/models', { key: fresh! })).status).toBe(200);
  });

  it('rotate --overlap keeps the old key working for the window', async () => {
    const old = await createKeyAsAdmin('overlap-me');
    await say('rotate overlap-me --overlap 1h');
    const [confirmReply] = await repliesIn(CHANNEL.id);
    const [go] = cardOf(confirmReply!).actions;
    const res = await h.send(executeAction({ serviceUrl: h.serviceUrl, verb: go.verb, data: go.data }));
    expect(cardText(res.body.value)).toContain('keeps working until');
    const after = await keyRecord(old.id);
    expect(after.body.status).toBe('active');
    expect(after.body.graceUntil).not.toBeNull();
    expect((await h.stack.call('/v1/models', { key: old.key })).status).toBe(200);
  });

  it('revoke through the Action.Submit fallback updates the clicked card in place', async () => {
    const victim = await createKeyAsAdmin('revoke-me');
    await say('revoke revoke-me');
    const [confirmReply] = await repliesIn(CHANNEL.id);
    const card = cardOf(confirmReply!);
    expect(cardText(card)).toContain('Revoke this key?');
    const fallback = card.actions[0].fallback;
    expect((await keyRecord(victim.id)).body.status).toBe('active');

    h.connector.reset();
    const cardMessageId = 'bot-card-message-1';
    const res = await h.send(submitAction({ serviceUrl: h.serviceUrl, data: fallback.data, replyToId: cardMessageId }));
    expect(res.status).toBe(200);
    await h.connector.waitFor((calls) => calls.some((c) => c.method === 'PUT'));
    const update = h.connector.calls.find((c) => c.method === 'PUT')!;
    expect(update).toMatchObject({ conversationId: CHANNEL.id, activityId: cardMessageId });
    expect(cardText(cardOf(update))).toContain('Key “revoke-me” revoked');
    expect(cardText(cardOf(update))).toContain('By Ada Admin.');

    expect((await keyRecord(victim.id)).body.status).toBe('revoked');
    expect((await h.stack.call('/v1/models', { key: victim.key })).status).toBe(401);
  });

  it('delete removes the key after the click', async () => {
    const victim = await createKeyAsAdmin('delete-me');
    await say(`delete ${victim.id}`);
    const [confirmReply] = await repliesIn(CHANNEL.id);
    const [go] = cardOf(confirmReply!).actions;
    expect(cardText(cardOf(confirmReply!))).toContain('Delete this key?');
    const res = await h.send(executeAction({ serviceUrl: h.serviceUrl, verb: go.verb, data: go.data }));
    expect(cardText(res.body.value)).toContain('Key “delete-me” deleted');
    expect((await keyRecord(victim.id)).status).toBe(404);
  });

  it('cancel changes nothing', async () => {
    const kept = await createKeyAsAdmin('keep-me');
    await say('revoke keep-me');
    const [confirmReply] = await repliesIn(CHANNEL.id);
    const [, cancel] = cardOf(confirmReply!).actions;
    const res = await h.send(executeAction({ serviceUrl: h.serviceUrl, verb: cancel.verb, data: cancel.data }));
    expect(cardText(res.body.value)).toContain('Cancelled by Ada Admin');
    expect((await keyRecord(kept.id)).body.status).toBe('active');
  });

  it('the Protected Automator key cannot be revoked or deleted', async () => {
    await say('delete Automator');
    const [reply] = await repliesIn(CHANNEL.id);
    expect(reply!.activity.text).toMatch(/Protected Automator key/);
    expect(cardOf(reply!)).toBeUndefined();
  });
});

describe('pause, resume and limit need a button confirmation', () => {
  it('pause shows active → paused; the click pauses (401 key_disabled), the list says paused; resume brings it back', async () => {
    const target = await createKeyAsAdmin('pause-me');
    await say('pause pause-me');
    const [confirmReply] = await repliesIn(CHANNEL.id);
    const card = cardOf(confirmReply!);
    expect(cardText(card)).toContain('Pause this key?');
    expect(cardText(card)).toContain('Status: active → paused');
    const [go] = card.actions;
    expect(go).toMatchObject({ verb: 'keywarden.confirm', style: 'destructive' });
    expect((await keyRecord(target.id)).body.status).toBe('active');

    const res = await h.send(executeAction({ serviceUrl: h.serviceUrl, verb: go.verb, data: go.data }));
    expect(cardText(res.body.value)).toContain('Key “pause-me” paused');
    expect(cardText(res.body.value)).toContain('Status: paused');
    expect((await keyRecord(target.id)).body.status).toBe('disabled');
    const refused = await h.stack.json('/v1/models', { key: target.key });
    expect(refused).toMatchObject({ status: 401, body: { error: { code: 'key_disabled' } } });

    h.connector.reset();
    await say('list pause-me');
    expect(cardText(cardOf((await repliesIn(CHANNEL.id))[0]!))).toContain('· paused ·');

    h.connector.reset();
    await say(`resume ${target.id}`);
    const [resumeReply] = await repliesIn(CHANNEL.id);
    expect(cardText(cardOf(resumeReply!))).toContain('Status: paused → active');
    const [resume] = cardOf(resumeReply!).actions;
    const back = await h.send(executeAction({ serviceUrl: h.serviceUrl, verb: resume.verb, data: resume.data }));
    expect(cardText(back.body.value)).toContain('Key “pause-me” resumed');
    expect((await h.stack.call('/v1/models', { key: target.key })).status).toBe(200);
  });

  it('limit shows the rate limit before → after and sets it; a click on a key changed since is refused', async () => {
    const target = await createKeyAsAdmin('limit-me');
    const before = (await keyRecord(target.id)).body.rateLimit;
    await say('limit limit-me 100/60s');
    const [confirmReply] = await repliesIn(CHANNEL.id);
    expect(cardText(cardOf(confirmReply!))).toContain(`Rate limit: ${before.limit.toLocaleString('en-US')} requests / 1m → 100 requests / 1m`);
    const [go] = cardOf(confirmReply!).actions;
    const res = await h.send(executeAction({ serviceUrl: h.serviceUrl, verb: go.verb, data: go.data }));
    expect(cardText(res.body.value)).toContain('Key “limit-me” has a new rate limit');
    expect(cardText(res.body.value)).toContain('Rate limit: 100 requests / 1m');
    expect((await keyRecord(target.id)).body.rateLimit).toEqual({ limit: 100, windowSeconds: 60 });

    h.connector.reset();
    await say('limit limit-me 5/1s');
    const [staleReply] = await repliesIn(CHANNEL.id);
    const [stale] = cardOf(staleReply!).actions;
    expect((await h.stack.json(`/v1/keys/${target.id}`, { key: h.stack.adminKey, method: 'PATCH', body: { metadata: { team: 'ops' } } })).status).toBe(200);
    const late = await h.send(executeAction({ serviceUrl: h.serviceUrl, verb: stale.verb, data: stale.data }));
    expect(late.body).toMatchObject({ type: 'application/vnd.microsoft.activity.message' });
    expect(late.body.value).toContain('changed since this confirmation was shown');
    expect((await keyRecord(target.id)).body.rateLimit).toEqual({ limit: 100, windowSeconds: 60 });
  });
});

describe('non-admins', () => {
  it('are refused create, and no key is made or sent', async () => {
    const before = (await h.stack.json('/v1/keys?limit=100', { key: h.stack.adminKey })).body.data.length;
    await say('create sneaky', { from: USER });
    const [reply] = await repliesIn(CHANNEL.id);
    expect(reply!.activity.text).toContain('only admins of this project');
    expect(h.connector.created).toHaveLength(0);
    expect((await h.stack.json('/v1/keys?limit=100', { key: h.stack.adminKey })).body.data.length).toBe(before);
    // The refusal is a denied attempt in the audit trail, naming the person and the bot.
    const audit = await h.stack.json(`/v1/audit?actor=${encodeURIComponent('teams:tenant1:aad-user')}`, { key: h.stack.adminKey });
    expect(audit.body.data).toContainEqual(expect.objectContaining({ action: 'key.create', outcome: 'denied', viaBot: 'teams' }));
  });

  it('are refused rotate before any confirmation is shown', async () => {
    await say('rotate Bootstrap admin key', { from: USER });
    const [reply] = await repliesIn(CHANNEL.id);
    expect(reply!.activity.text).toContain('only admins of this project');
    expect(cardOf(reply!)).toBeUndefined();
  });

  it('are refused pause, resume and limit before any confirmation is shown', async () => {
    for (const text of ['pause Bootstrap admin key', 'resume Bootstrap admin key', 'limit Bootstrap admin key 1/1s']) {
      h.connector.reset();
      await say(text, { from: USER });
      const [reply] = await repliesIn(CHANNEL.id);
      expect(reply!.activity.text).toContain('only admins of this project');
      expect(cardOf(reply!)).toBeUndefined();
    }
  });

  it('clicking an admin’s confirmation button does nothing but tell them so', async () => {
    const target = await createKeyAsAdmin('admins-only');
    await say('revoke admins-only');
    const [confirmReply] = await repliesIn(CHANNEL.id);
    const [go, cancel] = cardOf(confirmReply!).actions;

    const execute = await h.send(executeAction({ serviceUrl: h.serviceUrl, from: USER, verb: go.verb, data: go.data }));
    expect(execute.body).toMatchObject({ type: 'application/vnd.microsoft.activity.message' });
    expect(execute.body.value).toContain('only admins of this project');
    const submit = await h.send(submitAction({ serviceUrl: h.serviceUrl, from: USER, data: go.fallback.data, replyToId: 'card-1' }));
    expect(submit.status).toBe(200);
    const cancelled = await h.send(executeAction({ serviceUrl: h.serviceUrl, from: USER, verb: cancel.verb, data: cancel.data }));
    expect(cancelled.body.value).toContain('Only project admins');

    await h.connector.waitFor((calls) => calls.some((c) => c.activity.text?.includes('only admins of this project')));
    expect(h.connector.calls.some((c) => c.method === 'PUT')).toBe(false);
    expect((await keyRecord(target.id)).body.status).toBe('active');
  });

  it('a forged button value cannot name another actor: the clicker is the actor', async () => {
    const target = await createKeyAsAdmin('forged');
    const action = JSON.stringify({ v: 1, op: 'revoke', keyId: target.id, origin: 'leak', iat: Math.floor(Date.now() / 1000), actor: ADMIN_IDENTITY });
    const res = await h.send(executeAction({ serviceUrl: h.serviceUrl, from: USER, verb: 'keywarden.confirm', data: { verb: 'keywarden.confirm', action } }));
    expect(res.body.value).toContain('not valid');
    const plain = JSON.stringify({ v: 1, op: 'revoke', keyId: target.id, origin: 'leak', iat: Math.floor(Date.now() / 1000) });
    const res2 = await h.send(executeAction({ serviceUrl: h.serviceUrl, from: USER, verb: 'keywarden.confirm', data: { verb: 'keywarden.confirm', action: plain } }));
    expect(res2.body.value).toContain('only admins of this project');
    expect((await keyRecord(target.id)).body.status).toBe('active');
  });
});

describe('secrets stay private', () => {
  it('no key value appeared in any channel or group reply, nor in any log line', async () => {
    expect(h.connector.history.length).toBeGreaterThan(20);
    expect(keysOutsidePersonalChats(h)).toEqual([]);
    // Keys were issued and delivered in this file (1:1 chats), yet none reached stdout/stderr.
    expect(h.connector.history.filter((c) => c.conversationId.startsWith('a:personal-')).flatMap((c) => findKeysInText(JSON.stringify(c))).length).toBeGreaterThan(3);
    expect(findKeysInText(h.output.text())).toEqual([]);
    expect(h.output.text()).toContain('teams: new key delivered privately');
  });
});
