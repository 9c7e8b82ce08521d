import { describe, expect, it } from 'vitest';
import { CHANNEL, MEMBER_USER, keysIn, textOf, useSlackHarness } from './slack-harness';
import type { RecordedCall } from './slack-stand-in';

type ApiCall = Extract<RecordedCall, { kind: 'api' }>;
const posterAlerts = (calls: RecordedCall[]) => calls.filter((c): c is ApiCall => c.kind === 'api' && c.method === 'chat.postEphemeral');
const adminAlerts = (calls: RecordedCall[]) => calls.filter((c): c is ApiCall => c.kind === 'api' && c.method === 'chat.postMessage' && String(c.args.channel).startsWith('D'));

/** Issue 12: the leak guard sees what admins see — edits and private channels — and alerts once per key. */
describe('Slack leak guard: edits, private channels, once per key', () => {
  const h = useSlackHarness();
  let ts = 1_900_000_000;
  const nextTs = () => `${++ts}.000300`;

  const liveKey = async (name: string) => (await h.stack.json('/v1/keys', { key: h.stack.adminKey, body: { name } })).body as { id: string; key: string; start: string };
  /** Slack's `message_changed`: the edited message rides inside the event. */
  const edit = (text: string, channelType = 'channel') => {
    const original = nextTs();
    return h.event({
      type: 'message',
      subtype: 'message_changed',
      hidden: true,
      channel: CHANNEL,
      channel_type: channelType,
      ts: nextTs(),
      message: { type: 'message', user: MEMBER_USER, text, ts: original, edited: { user: MEMBER_USER, ts: nextTs() } },
      previous_message: { type: 'message', user: MEMBER_USER, text: 'the config is below', ts: original },
    });
  };
  /** Waits for the poster's and the admin's alert after `from`, then lets any stragglers land. */
  const alertsSince = async (from: number) => {
    await h.slack.waitFor((c) => c.kind === 'api' && c.method === 'chat.postMessage' && String(c.args.channel).startsWith('D'), { from });
    await h.answer((await h.command('help')).responseId);
    return h.slack.calls.slice(from);
  };

  it('an edited message that now holds a live key is caught: poster and admins alerted, the key never repeated', async () => {
    const leaked = await liveKey('edited in later');
    const from = h.slack.calls.length;
    expect((await edit(`oops, the key: ${leaked.key}`)).status).toBe(200);
    const calls = await alertsSince(from);
    expect(posterAlerts(calls).map((c) => c.args.user)).toEqual([MEMBER_USER]);
    expect(textOf(posterAlerts(calls)[0]!.args)).toContain(leaked.start);
    expect(adminAlerts(calls)).toHaveLength(1);
    expect(textOf(adminAlerts(calls)[0]!.args)).toContain('edited in later');
    for (const call of calls) expect(keysIn(call)).toEqual([]);
  });

  it('the same key seen again — edited again, or pasted in a private channel — does not alert a second time', async () => {
    const leaked = await liveKey('seen twice');
    const from = h.slack.calls.length;
    await h.event({ type: 'message', channel: CHANNEL, channel_type: 'channel', user: MEMBER_USER, text: `key ${leaked.key}`, ts: nextTs() });
    const first = await alertsSince(from);
    expect(adminAlerts(first)).toHaveLength(1);

    const again = h.slack.calls.length;
    await edit(`key ${leaked.key} (edited)`);
    await h.event({ type: 'message', channel: 'G1', channel_type: 'group', user: MEMBER_USER, text: `here too ${leaked.key}`, ts: nextTs() });
    await h.answer((await h.command('help')).responseId);
    await h.answer((await h.command('help')).responseId);
    expect(posterAlerts(h.slack.calls.slice(again))).toEqual([]);
    expect(adminAlerts(h.slack.calls.slice(again))).toEqual([]);
  });

  it('a private channel (message.groups, with groups:history granted) is guarded like a public one', async () => {
    const leaked = await liveKey('private paste');
    const from = h.slack.calls.length;
    await h.event({ type: 'message', channel: 'G2', channel_type: 'group', user: MEMBER_USER, text: `psst ${leaked.key}`, ts: nextTs() });
    const calls = await alertsSince(from);
    expect(posterAlerts(calls).map((c) => c.args.channel)).toEqual(['G2']);
    expect(adminAlerts(calls)).toHaveLength(1);
  });
});
