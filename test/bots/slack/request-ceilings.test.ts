import { describe, expect, it } from 'vitest';
import { BOT_USER_ID } from './slack-stand-in';
import { ADMIN, ADMIN_USER, MEMBER, MEMBER_USER, TEAM, buttonValue, textOf, useSlackHarness } from './slack-harness';

/**
 * Issue 25 point 1 on Slack, end to end: signed slash commands and events through Bolt's receiver,
 * the core and the real API. An admin bounds requests from channel C1 with `request-ceiling set`;
 * a member's request beyond it, said in C1, is refused naming the ceiling, while the same request
 * said in C2 goes to the admins. The channel is the one Slack signed into the payload: nothing a
 * person types (a flag, a channel named in the name or reason) moves a request to another channel.
 */
describe('Slack request-ceiling', () => {
  const h = useSlackHarness();
  const C1 = `slack:${TEAM}:C1`;
  const C2 = `slack:${TEAM}:C2`;
  const say = async (text: string, user: string, channel: string) => {
    const { responseId } = await h.command(text, user, { channel });
    const answer = await h.answer(responseId);
    expect(answer.body.response_type).toBe('ephemeral');
    return textOf(answer.body);
  };
  const requests = async () => (await h.stack.json('/v1/key-requests', { key: h.stack.adminKey })).body.data as any[];
  const ceilingOf = (channel: string) => h.stack.json(`/v1/key-requests/ceilings?channel=${encodeURIComponent(channel)}`, { key: h.stack.adminKey });
  const audit = async (actor: string) => ((await h.stack.json(`/v1/audit?actor=${encodeURIComponent(actor)}&limit=100`, { key: h.stack.adminKey })).body.data as any[]).map((r) => [r.action, r.outcome, r.details?.channel]);

  it('an admin sets C1’s ceiling; a member’s privileged request in C1 is refused naming it, the same in C2 goes to approval', async () => {
    expect(await say('request-ceiling set --type viewer --budget 10/month', ADMIN_USER, 'C1')).toContain(
      'Requests from this channel may now ask for at most: viewer keys; a budget of 10/month.',
    );
    expect((await ceilingOf(C1)).body).toMatchObject({ channel: C1, setBy: ADMIN, ceiling: { type: 'viewer', budget: { credits: 10, period: 'month' } } });

    const refused = await say('request deploy --type privileged --reason "the deploy job"', MEMBER_USER, 'C1');
    expect(refused).toContain('Requests from this channel cannot ask for a privileged key (this channel allows viewer keys at most)');
    expect(refused).toContain('no budget (this channel allows at most 10/month)');
    expect(await requests()).toEqual([]);
    expect(await audit(MEMBER)).toContainEqual(['key_request.create', 'denied', C1]);

    const from = h.slack.calls.length;
    const accepted = await say('request deploy --type privileged --reason "the deploy job"', MEMBER_USER, 'C2');
    const [request] = await requests();
    expect(request).toMatchObject({ status: 'pending', requester: MEMBER, channel: C2, key: { name: 'deploy', type: 'privileged' } });
    expect(accepted).toContain(request.id);
    // The admin's approval card, in their DM.
    await h.slack.waitFor((c: any) => c.kind === 'api' && c.method === 'chat.postMessage' && textOf(c.args).includes(request.id), { from });

    // Within C1's ceiling, a request from C1 passes and carries C1.
    await say('request reports --type viewer --budget 5/month --reason "weekly numbers"', MEMBER_USER, 'C1');
    expect((await requests()).find((r) => r.key.name === 'reports')).toMatchObject({ status: 'pending', channel: C1 });
  });

  it('a member cannot set, show or clear a ceiling: refused and audited; the ceiling stays', async () => {
    expect(await say('request-ceiling set --type privileged', MEMBER_USER, 'C1')).toMatch(/not an admin of this project/);
    expect(await say('request-ceiling clear', MEMBER_USER, 'C1')).toMatch(/not an admin of this project/);
    expect(await say('request-ceiling show', MEMBER_USER, 'C1')).toMatch(/not an admin of this project/);
    expect(await audit(MEMBER)).toEqual(
      expect.arrayContaining([
        ['key_request.ceiling_set', 'denied', C1],
        ['key_request.ceiling_clear', 'denied', C1],
        ['key_request.ceiling_read', 'denied', C1],
      ]),
    );
    expect((await ceilingOf(C1)).body).toMatchObject({ version: 1, ceiling: { type: 'viewer' } });
  });

  it('no channel in the text moves a request: not a flag, not a name or reason naming C2, not an @mention naming it', async () => {
    expect(await say(`request spoof --type privileged --channel ${C2} --reason "x"`, MEMBER_USER, 'C1')).toContain('Unknown option --channel');
    expect(await say(`request-ceiling set ${C2} --type privileged`, ADMIN_USER, 'C1')).toContain('Usage');
    expect(await say(`request "${C2}" --type privileged --reason "asked in <#C2|ops>, ${C2}"`, MEMBER_USER, 'C1')).toContain('Requests from this channel cannot ask for');

    // An @mention in C1 is bound by C1, whatever it names; its answer is ephemeral, in C1.
    const from = h.slack.calls.length;
    const res = await h.event({
      type: 'app_mention',
      user: MEMBER_USER,
      channel: 'C1',
      text: `<@${BOT_USER_ID}> request mentioned --type privileged --reason "channel C2, ${C2}"`,
      ts: '1700000000.000200',
      event_ts: '1700000000.000200',
    });
    expect(res.status).toBe(200);
    const ephemeral = (await h.slack.waitFor((c: any) => c.kind === 'api' && c.method === 'chat.postEphemeral', { from })) as any;
    expect(ephemeral.args).toMatchObject({ channel: 'C1', user: MEMBER_USER });
    expect(textOf(ephemeral.args)).toContain('Requests from this channel cannot ask for a privileged key');

    const names = (await requests()).map((r) => r.key.name);
    for (const name of ['spoof', C2, 'mentioned']) expect(names).not.toContain(name);
    expect((await ceilingOf(C2)).status).toBe(404);
  });

  it('every DM with the bot shares one ceiling (slack:<team>:direct): a member cannot step around a channel’s by asking privately', async () => {
    const DIRECT = `slack:${TEAM}:direct`;
    // No DM ceiling yet: the approving admin alone bounds a request asked in a DM.
    await say('request direct --type privileged --reason "from the DM"', MEMBER_USER, 'DMEMBER');
    expect((await requests()).find((r) => r.key.name === 'direct')).toMatchObject({ status: 'pending', channel: DIRECT });
    // An admin sets it from their own DM; it binds every DM of the workspace, the member's included.
    expect(await say('request-ceiling set --type viewer', ADMIN_USER, 'DADMIN')).toContain('Requests from direct messages with me (anyone’s, in this workspace) may now ask for at most: viewer keys.');
    expect((await ceilingOf(DIRECT)).body).toMatchObject({ channel: DIRECT, ceiling: { type: 'viewer' } });
    expect(await say('request sidestep --type privileged --reason "not in C1"', MEMBER_USER, 'DMEMBER')).toContain(
      'Requests from direct messages with the bot cannot ask for a privileged key (direct messages allow viewer keys at most)',
    );
    // A DM message (message.im), not only the slash command, is bound the same way.
    const from = h.slack.calls.length;
    await h.event({ type: 'message', channel_type: 'im', channel: 'DMEMBER', user: MEMBER_USER, text: 'request sidestep2 --type privileged --reason "typed in the DM"', ts: '1700000000.000300', event_ts: '1700000000.000300' });
    const dm = (await h.slack.waitFor((c: any) => c.kind === 'api' && c.method === 'chat.postMessage' && c.args.channel === 'DMEMBER', { from })) as any;
    expect(textOf(dm.args)).toContain('Requests from direct messages with the bot cannot ask for a privileged key');
    const names = (await requests()).map((r) => r.key.name);
    for (const name of ['sidestep', 'sidestep2']) expect(names).not.toContain(name);
    // A member cannot lift it; an admin can, and then the DM is bounded by the approver again.
    expect(await say('request-ceiling clear', MEMBER_USER, 'DMEMBER')).not.toContain('lifted');
    expect(await say('request-ceiling show', ADMIN_USER, 'DADMIN')).toContain('Requests from direct messages with me (anyone’s, in this workspace) may ask for at most: viewer keys');
    expect(await say('request-ceiling clear', ADMIN_USER, 'DADMIN')).toContain('The direct messages’ request ceiling is lifted.');
    expect((await ceilingOf(DIRECT)).status).toBe(404);
    expect(await audit(ADMIN)).toEqual(expect.arrayContaining([['key_request.ceiling_set', 'success', DIRECT], ['key_request.ceiling_clear', 'success', DIRECT]]));
  });

  it('an admin shows and clears the ceiling; once cleared, C1 no longer bounds requests', async () => {
    expect(await say('request-ceiling show', ADMIN_USER, 'C1')).toContain(`Requests from this channel may ask for at most: viewer keys; a budget of 10/month (set by ${ADMIN}`);
    expect(await say('request-ceiling show', ADMIN_USER, 'C2')).toContain('This channel has no request ceiling');
    expect(await say('request-ceiling clear', ADMIN_USER, 'C1')).toContain('request ceiling is lifted');
    expect((await ceilingOf(C1)).status).toBe(404);
    expect(await say('request-ceiling clear', ADMIN_USER, 'C1')).toContain('had no request ceiling');
    expect(await audit(ADMIN)).toEqual(expect.arrayContaining([['key_request.ceiling_set', 'success', C1], ['key_request.ceiling_clear', 'success', C1]]));

    await say('request wide --type privileged --reason "now allowed"', MEMBER_USER, 'C1');
    expect((await requests()).find((r) => r.key.name === 'wide')).toMatchObject({ status: 'pending', channel: C1 });
  });

  it('a ceiling set after a request binds its approval: the admin’s Approve is refused naming the ceiling, not as a non-admin', async () => {
    const from = h.slack.calls.length;
    await say('request later --type privileged --reason "before the ceiling"', MEMBER_USER, 'C2');
    const request = (await requests()).find((r) => r.key.name === 'later');
    const card = (await h.slack.waitFor((c: any) => c.kind === 'api' && c.method === 'chat.postMessage' && textOf(c.args).includes(request.id), { from })) as any;
    await say('request-ceiling set --type viewer', ADMIN_USER, 'C2');

    const click = await h.click('kw_key_request_approve', buttonValue(card.args, 'kw_key_request_approve'), ADMIN_USER);
    const refused = textOf((await h.answer(click.responseId)).body);
    expect(refused).toContain('Requests from this channel cannot ask for a privileged key (this channel allows viewer keys at most)');
    expect(refused).not.toMatch(/only admins/i);
    expect((await requests()).find((r) => r.id === request.id)).toMatchObject({ status: 'pending', keyId: null });
  });
});
