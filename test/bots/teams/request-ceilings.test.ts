import { describe, expect, it } from 'vitest';
import { ADMIN, CHANNEL, GROUP_CHAT, TENANT, USER, message, personalChat, type Person, type Where } from './activities';
import { ADMIN_IDENTITY, useTeamsHarness } from './harness';

/**
 * Issue 25 point 1 on Teams, end to end: Bot Framework activities through botbuilder's adapter
 * (replies to the stand-in connector), the core and the real API. An admin bounds requests from a
 * channel with `request-ceiling set`; a member's request beyond it, said there (or in a reply
 * thread of it), is refused naming the ceiling, while the same request in another channel goes to
 * the admins. The channel is the activity's conversation, as the Bot Framework Service names it:
 * nothing a person types moves a request to another channel.
 */
const h = useTeamsHarness();
const MEMBER_IDENTITY = `teams:${TENANT}:${USER.aadObjectId}`;
const OPS = { id: '19:ops@thread.tacv2', conversationType: 'channel' as const };
const GENERAL = `teams:${TENANT}:${CHANNEL.id}`;
const OPS_CHANNEL = `teams:${TENANT}:${OPS.id}`;
/** A reply thread in the general channel: the same channel, its root message id appended. */
const GENERAL_THREAD = { id: `${CHANNEL.id};messageid=1700000000123`, conversationType: 'channel' as const };

/** Says `text` as `from` in `where`, and returns what the bot answered there. */
async function say(text: string, from: Person, where: Where): Promise<string> {
  const before = h.connector.in(where.id).length;
  expect((await h.send(message({ serviceUrl: h.serviceUrl, from, conversation: where, text }))).status).toBe(200);
  await h.connector.waitFor(() => h.connector.in(where.id).length > before);
  return JSON.stringify(h.connector.in(where.id).slice(before).map((c) => c.activity));
}
const requests = async () => (await h.stack.json('/v1/key-requests', { key: h.stack.adminKey })).body.data as any[];
const ceilingOf = (channel: string) => h.stack.json(`/v1/key-requests/ceilings?channel=${encodeURIComponent(channel)}`, { key: h.stack.adminKey });
const audit = async (actor: string) =>
  ((await h.stack.json(`/v1/audit?actor=${encodeURIComponent(actor)}&limit=100`, { key: h.stack.adminKey })).body.data as any[]).map((r) => [r.action, r.outcome, r.details?.channel]);

describe('Teams request-ceiling', () => {
  it('an admin sets the channel’s ceiling; a member’s privileged request there is refused naming it, the same in another channel goes to approval', async () => {
    expect(await say('request-ceiling set --type viewer --budget 10/month', ADMIN, CHANNEL)).toContain('Requests from this channel may now ask for at most: viewer keys; a budget of 10/month.');
    expect((await ceilingOf(GENERAL)).body).toMatchObject({ channel: GENERAL, setBy: ADMIN_IDENTITY, ceiling: { type: 'viewer', budget: { credits: 10, period: 'month' } } });

    const refused = await say('request deploy --type privileged --reason "the deploy job"', USER, CHANNEL);
    expect(refused).toContain('Requests from this channel cannot ask for a privileged key (this channel allows viewer keys at most)');
    expect(refused).toContain('no budget (this channel allows at most 10/month)');
    // A reply thread is the same channel: bound by the same ceiling.
    expect(await say('request deploy --type privileged --reason "the deploy job"', USER, GENERAL_THREAD)).toContain('Requests from this channel cannot ask for a privileged key');
    expect(await requests()).toEqual([]);
    expect(await audit(MEMBER_IDENTITY)).toContainEqual(['key_request.create', 'denied', GENERAL]);

    const accepted = await say('request deploy --type privileged --reason "the deploy job"', USER, OPS);
    const [request] = await requests();
    expect(request).toMatchObject({ status: 'pending', requester: MEMBER_IDENTITY, channel: OPS_CHANNEL, key: { name: 'deploy', type: 'privileged' } });
    expect(accepted).toContain(request.id);

    await say('request reports --type viewer --budget 5/month --reason "weekly numbers"', USER, CHANNEL);
    expect((await requests()).find((r) => r.key.name === 'reports')).toMatchObject({ status: 'pending', channel: GENERAL });
  });

  it('a member cannot set, show or clear a ceiling: refused and audited; the ceiling stays', async () => {
    expect(await say('request-ceiling set --type privileged', USER, CHANNEL)).toContain('not an admin of this project');
    expect(await say('request-ceiling clear', USER, CHANNEL)).toContain('not an admin of this project');
    expect(await say('request-ceiling show', USER, CHANNEL)).toContain('not an admin of this project');
    expect(await audit(MEMBER_IDENTITY)).toEqual(
      expect.arrayContaining([
        ['key_request.ceiling_set', 'denied', GENERAL],
        ['key_request.ceiling_clear', 'denied', GENERAL],
        ['key_request.ceiling_read', 'denied', GENERAL],
      ]),
    );
    expect((await ceilingOf(GENERAL)).body).toMatchObject({ version: 1, ceiling: { type: 'viewer' } });
  });

  it('no channel in the text moves a request: not a flag, not a name or reason naming another channel', async () => {
    expect(await say(`request spoof --type privileged --channel ${OPS_CHANNEL} --reason "x"`, USER, CHANNEL)).toContain('Unknown option --channel');
    expect(await say(`request-ceiling set ${OPS_CHANNEL} --type privileged`, ADMIN, CHANNEL)).toContain('Usage');
    expect(await say(`request "${OPS.id}" --type privileged --reason "asked in ${OPS_CHANNEL}"`, USER, CHANNEL)).toContain('Requests from this channel cannot ask for');
    const names = (await requests()).map((r) => r.key.name);
    for (const name of ['spoof', OPS.id]) expect(names).not.toContain(name);
    expect((await ceilingOf(OPS_CHANNEL)).status).toBe(404);
  });

  it('a group chat is a channel of its own; every 1:1 chat with the bot shares one (teams:<tenant>:direct)', async () => {
    expect(await say('request-ceiling set --type viewer', ADMIN, GROUP_CHAT)).toContain('Requests from this channel may now ask for at most: viewer keys.');
    expect(await say('request group --type privileged --reason "from the group"', USER, GROUP_CHAT)).toContain('Requests from this channel cannot ask for a privileged key');
    const DIRECT = `teams:${TENANT}:direct`;
    await say('request direct --type privileged --reason "from the 1:1 chat"', USER, personalChat(USER));
    expect((await requests()).find((r) => r.key.name === 'direct')).toMatchObject({ status: 'pending', channel: DIRECT });
    // Set from the admin's own 1:1 chat, it binds the member's: no stepping around a channel's ceiling privately.
    expect(await say('request-ceiling set --type viewer', ADMIN, personalChat(ADMIN))).toContain('Requests from direct messages with me (anyone’s, in this workspace) may now ask for at most: viewer keys.');
    expect(await say('request sidestep --type privileged --reason "not in the channel"', USER, personalChat(USER))).toContain(
      'Requests from direct messages with the bot cannot ask for a privileged key (direct messages allow viewer keys at most)',
    );
    expect((await requests()).map((r) => r.key.name)).not.toContain('sidestep');
    expect(await say('request-ceiling clear', ADMIN, personalChat(ADMIN))).toContain('The direct messages’ request ceiling is lifted.');
    expect((await ceilingOf(DIRECT)).status).toBe(404);
  });

  it('an admin shows and clears the ceiling; once cleared, the channel no longer bounds requests', async () => {
    expect(await say('request-ceiling show', ADMIN, CHANNEL)).toContain(`Requests from this channel may ask for at most: viewer keys; a budget of 10/month (set by ${ADMIN_IDENTITY}`);
    expect(await say('request-ceiling show', ADMIN, OPS)).toContain('This channel has no request ceiling');
    expect(await say('request-ceiling clear', ADMIN, CHANNEL)).toContain('request ceiling is lifted');
    expect((await ceilingOf(GENERAL)).status).toBe(404);
    expect(await audit(ADMIN_IDENTITY)).toEqual(expect.arrayContaining([['key_request.ceiling_set', 'success', GENERAL], ['key_request.ceiling_clear', 'success', GENERAL]]));

    await say('request wide --type privileged --reason "now allowed"', USER, CHANNEL);
    expect((await requests()).find((r) => r.key.name === 'wide')).toMatchObject({ status: 'pending', channel: GENERAL });
  });
});
