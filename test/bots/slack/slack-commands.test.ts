import { describe, expect, it } from 'vitest';
import { signAssertion } from '../../../lambdas/core/actor-assertion';
import { apiRequests } from '../log-lines';
import { ADMIN, ADMIN_USER, MEMBER, MEMBER_USER, buttonValue, keysIn, textOf, useSlackHarness } from './slack-harness';

/** `/apikeys` end to end: signed Slack requests → Bolt → core → /v1 on the real local stack → stand-in Slack. */
describe('Slack /apikeys', () => {
  const h = useSlackHarness();
  const issued: string[] = [];

  const adminGet = async (id: string) => (await h.stack.json(`/v1/keys/${id}`, { key: h.stack.adminKey })).body;
  const keysNamed = async (name: string) =>
    ((await h.stack.json(`/v1/keys?search=${encodeURIComponent(name)}`, { key: h.stack.adminKey })).body.data as any[]).filter((k) => k.name === name);

  // The 3-second rule is met by design (ack first, answer through response_url), not by a timed
  // assertion that would flake on a busy machine.
  it('acks the command and answers list ephemerally through response_url', async () => {
    const { status, responseId } = await h.command('list');
    expect(status).toBe(200);
    const answer = await h.answer(responseId);
    expect(answer.body.response_type).toBe('ephemeral');
    expect(textOf(answer.body)).toContain('Slack bot viewer key');
  });

  it('create with no arguments opens a modal; submitting it delivers the key ephemerally', async () => {
    const { responseId } = await h.command('create', ADMIN_USER, { triggerId: 'trigger-modal' });
    const open = await h.slack.waitFor((c) => c.kind === 'api' && c.method === 'views.open');
    if (open.kind !== 'api') throw new Error('unreachable');
    expect(open.args.trigger_id).toBe('trigger-modal');
    expect(open.args.view.callback_id).toBe('kw_create_key');

    const res = await h.submitView(open.args.view, {
      kw_name: { value: { type: 'plain_text_input', value: 'modal key' } },
      kw_type: { value: { type: 'static_select', selected_option: { value: 'viewer' } } },
      kw_scopes: { value: { type: 'multi_static_select', selected_options: [{ value: 'models:read' }, { value: 'responses:write' }] } },
      kw_expires: { value: { type: 'plain_text_input', value: '30d' } },
      kw_prefix: { value: { type: 'plain_text_input', value: null } },
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
    const answer = await h.answer(responseId);
    expect(answer.body.response_type).toBe('ephemeral');
    const [secret] = keysIn(answer);
    expect(secret).toBeDefined();
    issued.push(secret!);
    expect(textOf(answer.body)).toContain('External coworker setup script');
    const [created] = await keysNamed('modal key');
    expect(created).toMatchObject({ type: 'viewer', scopes: ['models:read', 'responses:write'], createdBy: ADMIN, status: 'active' });
  });

  it('the modal reports field errors back into the form', async () => {
    const res = await h.submitView({ callback_id: 'kw_create_key', private_metadata: '{}' }, {
      kw_type: { value: { type: 'static_select', selected_option: { value: 'viewer' } } },
      kw_expires: { value: { type: 'plain_text_input', value: 'soon' } },
    });
    expect(await res.json()).toMatchObject({ response_action: 'errors', errors: { kw_expires: expect.stringContaining('90d') } });
  });

  it('create with arguments delivers the key ephemerally', async () => {
    const { responseId } = await h.command('create ci deploy --type privileged --scopes keys:read,models:read --expires 90d --prefix ci');
    const answer = await h.answer(responseId);
    expect(answer.body.response_type).toBe('ephemeral');
    const [secret] = keysIn(answer);
    expect(secret).toMatch(/^ci_/);
    issued.push(secret!);
    const [created] = await keysNamed('ci deploy');
    expect(created).toMatchObject({ type: 'privileged', scopes: ['keys:read', 'models:read'], prefix: 'ci' });
  });

  it('rotate asks first, acts only on the click, and delivers the replacement privately', async () => {
    const [before] = await keysNamed('ci deploy');
    const { responseId } = await h.command('rotate ci deploy --overlap 1h');
    const confirm = await h.answer(responseId);
    expect(confirm.body.response_type).toBe('ephemeral');
    expect(textOf(confirm.body)).toContain(before.start);
    expect(textOf(confirm.body)).toMatch(/never used|last used/);
    expect(keysIn(confirm)).toEqual([]);
    // Nothing happened before the click.
    expect(await adminGet(before.id)).toMatchObject({ status: 'active', replacedBy: null });

    const click = await h.click('kw_confirm', buttonValue(confirm.body, 'kw_confirm'));
    const done = await h.answer(click.responseId);
    expect(done.body).toMatchObject({ response_type: 'ephemeral', replace_original: true });
    const [secret] = keysIn(done);
    expect(secret).toMatch(/^ci_/);
    issued.push(secret!);
    const old = await adminGet(before.id);
    expect(old.replacedBy).toMatch(/^key_/);
    expect(old.graceUntil).not.toBeNull();
    // When the old key stops working comes from the rotate answer itself.
    expect(textOf(done.body)).toContain(`The old key \`${before.start}…\` keeps working until ${old.graceUntil}`);
  });

  it('revoke asks first; after the click the key is revoked; audit shows it', async () => {
    const [target] = await keysNamed('modal key');
    const { responseId } = await h.command(`revoke ${target.start}`);
    const confirm = await h.answer(responseId);
    expect(textOf(confirm.body)).toContain('modal key');
    expect((await adminGet(target.id)).status).toBe('active');

    // Cancel does nothing.
    const cancel = await h.click('kw_cancel', 'cancel');
    expect(textOf((await h.answer(cancel.responseId)).body)).toContain('nothing changed');
    expect((await adminGet(target.id)).status).toBe('active');

    const click = await h.click('kw_confirm', buttonValue(confirm.body, 'kw_confirm'));
    expect(textOf((await h.answer(click.responseId)).body)).toContain('Revoked');
    expect((await adminGet(target.id)).status).toBe('revoked');
    const list = (await h.stack.json('/v1/keys?status=revoked', { key: h.stack.adminKey })).body.data as any[];
    expect(list.map((k) => k.id)).toContain(target.id);

    const audit = await h.answer((await h.command(`audit ${target.id}`)).responseId);
    expect(textOf(audit.body)).toContain('key.revoke');
    expect(textOf(audit.body)).toContain(`<@${ADMIN_USER}>`);
  });

  it('an ambiguous name lists the candidates and asks for the id; a typo gets "did you mean"', async () => {
    await h.answer((await h.command('create twin a')).responseId);
    await h.answer((await h.command('create twin b')).responseId);
    const ambiguous = await h.answer((await h.command('show twin')).responseId);
    expect(textOf(ambiguous.body)).toContain('matches 2 keys');
    const typo = await h.answer((await h.command('lsit')).responseId);
    expect(textOf(typo.body)).toContain('Did you mean `list`');
  });

  it('a non-admin is refused by the bot, and the API refuses too (audited as denied)', async () => {
    const create = await h.answer((await h.command('create sneaky', MEMBER_USER)).responseId);
    expect(textOf(create.body)).toContain('only admins');
    expect(await keysNamed('sneaky')).toEqual([]);
    expect(h.slack.api('views.open')).toHaveLength(1); // only the admin's

    // A non-admin clicking an admin's confirm button acts as themselves — and is refused.
    const [target] = await keysNamed('twin a');
    const confirm = await h.answer((await h.command(`delete ${target.id}`)).responseId);
    const click = await h.answer((await h.click('kw_confirm', buttonValue(confirm.body, 'kw_confirm'), MEMBER_USER)).responseId);
    expect(textOf(click.body)).toContain('only admins');
    expect((await adminGet(target.id)).status).toBe('active');
    // The bot's refusals are denied attempts in the audit trail too, naming the person and the bot.
    const refusals = (await h.stack.json(`/v1/audit?actor=${encodeURIComponent(MEMBER)}`, { key: h.stack.adminKey })).body.data as any[];
    expect(refusals).toContainEqual(expect.objectContaining({ action: 'key.create', outcome: 'denied', viaBot: 'slack' }));
    expect(refusals).toContainEqual(expect.objectContaining({ action: 'key.delete', outcome: 'denied', viaBot: 'slack', keyId: target.id }));

    // The API is the authority: the bot's viewer key with a valid assertion for the non-admin is refused and audited.
    const viewerKey = h.stack.secrets.botViewerKeys!.slack;
    const me = (await h.stack.json('/v1/me', { key: viewerKey })).body;
    const res = await h.stack.json(`/v1/keys/${target.id}/revoke`, {
      key: viewerKey,
      method: 'POST',
      body: {},
      headers: { 'x-keywarden-actor': signAssertion(h.stack.secrets.botAssertion.current, { sub: MEMBER, bot: 'slack', kid: me.id }) },
    });
    expect(res.status).toBe(403);
    const audit = (await h.stack.json(`/v1/audit?keyId=${target.id}`, { key: h.stack.adminKey })).body.data as any[];
    expect(audit).toContainEqual(expect.objectContaining({ action: 'key.revoke', outcome: 'denied', actor: MEMBER, viaBot: 'slack' }));
    const shown = await h.answer((await h.command(`audit ${target.id}`, MEMBER_USER)).responseId);
    expect(textOf(shown.body)).toContain('denied');
  });

  it('pause asks active → paused; after the click the key is refused (401 key_disabled) and listed as paused; resume brings it back', async () => {
    const made = (await h.stack.json('/v1/keys', { key: h.stack.adminKey, body: { name: 'pause me', type: 'viewer' } })).body;
    issued.push(made.key);
    const confirm = await h.answer((await h.command('pause pause me')).responseId);
    expect(textOf(confirm.body)).toContain('Status:* active → *paused*');
    expect((await adminGet(made.id)).status).toBe('active');

    const done = await h.answer((await h.click('kw_confirm', buttonValue(confirm.body, 'kw_confirm'))).responseId);
    expect(done.body).toMatchObject({ response_type: 'ephemeral', replace_original: true });
    expect(textOf(done.body)).toContain('Paused *pause me*');
    expect(textOf(done.body)).toContain('Now: paused');
    expect((await adminGet(made.id)).status).toBe('disabled');
    const refused = await h.stack.json('/v1/models', { key: made.key });
    expect(refused.status).toBe(401);
    expect(refused.body.error.code).toBe('key_disabled');
    expect(textOf((await h.answer((await h.command('list pause me')).responseId)).body)).toContain(':double_vertical_bar: *pause me*');

    const ask = await h.answer((await h.command(`resume ${made.id}`)).responseId);
    expect(textOf(ask.body)).toContain('Status:* paused → *active*');
    const back = await h.answer((await h.click('kw_confirm', buttonValue(ask.body, 'kw_confirm'))).responseId);
    expect(textOf(back.body)).toContain('Resumed *pause me*');
    expect((await h.stack.call('/v1/models', { key: made.key })).status).toBe(200);
  });

  it('limit shows the rate limit before → after and sets it on the click; a click on a key changed since is refused', async () => {
    const made = (await h.stack.json('/v1/keys', { key: h.stack.adminKey, body: { name: 'limit me', type: 'viewer', rateLimit: { limit: 600, windowSeconds: 60 } } })).body;
    issued.push(made.key);
    const confirm = await h.answer((await h.command('limit limit me 100/1m')).responseId);
    expect(textOf(confirm.body)).toContain('Rate limit:* 600 requests / 1m → *100 requests / 1m*');
    expect((await adminGet(made.id)).rateLimit).toEqual({ limit: 600, windowSeconds: 60 });
    const done = await h.answer((await h.click('kw_confirm', buttonValue(confirm.body, 'kw_confirm'))).responseId);
    expect(textOf(done.body)).toContain('Now: active · 100 requests / 1m');
    expect((await adminGet(made.id)).rateLimit).toEqual({ limit: 100, windowSeconds: 60 });

    // Asked, then the key changes (another admin's edit, a pause): the old clicks change nothing.
    const [asked, paused] = [await h.answer((await h.command('limit limit me 6000/1h')).responseId), await h.answer((await h.command('pause limit me')).responseId)];
    expect((await h.stack.json(`/v1/keys/${made.id}`, { key: h.stack.adminKey, method: 'PATCH', body: { metadata: { team: 'ops' } } })).status).toBe(200);
    for (const stale of [asked, paused]) {
      const click = await h.answer((await h.click('kw_confirm', buttonValue(stale.body, 'kw_confirm'))).responseId);
      expect(textOf(click.body)).toContain('changed since this confirmation was shown');
    }
    expect(await adminGet(made.id)).toMatchObject({ status: 'active', rateLimit: { limit: 100, windowSeconds: 60 } });
  });

  it('a non-admin is refused pause, resume and limit before any confirmation (audited as denied)', async () => {
    const [target] = await keysNamed('limit me');
    for (const text of [`pause ${target.id}`, 'resume limit me', 'limit limit me 1/1s']) {
      const answer = await h.answer((await h.command(text, MEMBER_USER)).responseId);
      expect(textOf(answer.body)).toContain('only admins');
      expect(textOf(answer.body)).not.toContain('kw_confirm');
    }
    const refusals = (await h.stack.json(`/v1/audit?actor=${encodeURIComponent(MEMBER)}`, { key: h.stack.adminKey })).body.data as any[];
    expect(refusals).toContainEqual(expect.objectContaining({ action: 'key.disable', outcome: 'denied', viaBot: 'slack' }));
    expect(refusals).toContainEqual(expect.objectContaining({ action: 'key.update', outcome: 'denied', viaBot: 'slack' }));
    expect(await adminGet(target.id)).toMatchObject({ status: 'active', rateLimit: { limit: 100, windowSeconds: 60 } });
  });

  it('usage, for anyone: today’s calls, tokens and credits of a key, or of the project with its top keys', async () => {
    const made = (await h.stack.json('/v1/keys', { key: h.stack.adminKey, body: { name: 'used today', type: 'viewer' } })).body;
    issued.push(made.key);
    for (let i = 0; i < 2; i++) expect((await h.stack.call('/v1/models', { key: made.key })).status).toBe(200);
    await expect.poll(async () => (await h.stack.json(`/v1/usage?keyId=${made.id}`, { key: h.stack.adminKey })).body.data.length).toBe(2);
    const one = await h.answer((await h.command('usage used today', MEMBER_USER)).responseId);
    expect(textOf(one.body)).toContain('*Usage of used today*');
    expect(textOf(one.body)).toMatch(/\*Today\* \(\d{4}-\d\d-\d\d, UTC\): 2 calls · 0 tokens · 0 credits/);
    const all = await h.answer((await h.command('usage', MEMBER_USER)).responseId);
    expect(textOf(all.body)).toContain('*Top keys by credits today*');
    expect(textOf(all.body)).toMatch(/\*used today\* `archie_\w+…` — 2 calls/);
  });

  // The key goes only through the private-delivery port; if Slack does not take it, nobody has
  // seen it, so the created key is revoked at once rather than left live and unseen.
  it('a new key the response_url does not take is revoked at once', async () => {
    h.slack.failResponses.add('gone1');
    const res = await h.post(h.commandForm('create lost on slack', 'gone1'), 'application/x-www-form-urlencoded');
    expect(res.status).toBe(200);
    await h.slack.waitFor((c) => c.kind === 'response_url' && c.id === 'gone1' && c.raw.includes('revoked it'));
    const [attempt, told] = h.slack.responses('gone1');
    expect(keysIn(attempt!)).toHaveLength(1);
    expect(keysIn(told!)).toEqual([]);
    const [lost] = await keysNamed('lost on slack');
    expect(lost).toMatchObject({ status: 'revoked' });
    expect((await h.stack.call('/v1/models', { key: keysIn(attempt!)[0]! })).status).toBe(401);
  });

  it('never sends a key value in_channel, to a channel, or to the logs', async () => {
    // A key issued here, so the scan always has a delivery and its log lines to read (the keys
    // the tests above issued are scanned too when they ran).
    const mark = h.output.text().length;
    const answer = await h.answer((await h.command('create scanned for leaks --type viewer')).responseId);
    const [secret] = keysIn(answer);
    expect(secret).toMatch(/^archie_/);
    issued.push(secret!);
    expect(apiRequests(h.output.text().slice(mark))).toEqual(expect.arrayContaining(['POST /v1/bots/deliveries 200', 'POST /v1/keys 201']));
    const secrets = [...issued, h.stack.secrets.botViewerKeys!.slack, h.stack.adminKey];
    for (const call of h.slack.calls) {
      if (call.kind === 'response_url') expect(call.body.response_type ?? 'ephemeral').toBe('ephemeral');
      if (call.kind === 'api' && call.method === 'chat.postMessage' && !String(call.args.channel).startsWith('D')) {
        for (const s of secrets) expect(call.raw).not.toContain(s);
      }
    }
    // Only the new-key deliveries carry key values at all.
    const carrying = h.slack.calls.filter((c) => keysIn(c).length > 0);
    expect(carrying).toContain(answer);
    expect(carrying.every((c) => c.kind === 'response_url' && JSON.stringify(c.body).includes('External coworker setup script'))).toBe(true);
    const logs = h.output.text();
    for (const s of secrets) expect(logs).not.toContain(s);
    void ADMIN;
  });
});
