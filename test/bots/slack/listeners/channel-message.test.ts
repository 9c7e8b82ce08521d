import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LeakFinding, PendingAction } from '../../../../bots/core';
import { onChannelMessage } from '../../../../bots/slack/listeners/events/channel-message';
import type { MessageArgs } from '../../../../bots/slack/listeners/events/direct-message';
import { generateKey } from '../../../../lambdas/core/key-format';
import { startSlackStandIn, type SlackStandIn } from '../slack-stand-in';
import { failingClient, fakeDeps, KEY, shown, slackClient } from './listener-args';

/** The leak guard on channel messages called directly: offline first, then the poster and this workspace's admins. */
describe('onChannelMessage', () => {
  let slack: SlackStandIn;
  beforeAll(async () => (slack = await startSlackStandIn()));
  afterAll(() => slack.close());

  const leaked = generateKey();
  const revoke: PendingAction = { v: 1, op: 'revoke', keyId: KEY.id, origin: 'leak', iat: 1 };
  // The pipeline could not be asked (the fallback): the alert offers the revoke.
  const finding: LeakFinding = {
    key: KEY,
    handled: null,
    revoke,
    poster: { kind: 'leak_alert', audience: 'poster', key: KEY, poster: 'slack:T1:U1' },
    admins: [
      { identity: 'slack:T1:UADMIN', reply: { kind: 'leak_alert', audience: 'admin', key: KEY, poster: 'slack:T1:U1', revoke } },
      { identity: 'slack:T2:UELSEWHERE', reply: { kind: 'leak_alert', audience: 'admin', key: KEY, poster: 'slack:T1:U1', revoke } },
      { identity: 'teams:t:u', reply: { kind: 'leak_alert', audience: 'admin', key: KEY, poster: 'slack:T1:U1', revoke } },
    ],
  };
  function args(event: Record<string, unknown>, client = slackClient(slack)): MessageArgs {
    return { event: { type: 'message', channel_type: 'channel', channel: 'C1', ts: '1700000000.000100', ...event }, body: { team_id: 'T1' }, client } as unknown as MessageArgs;
  }
  const PERMALINK = 'https://test.slack.com/archives/C1/p1700000000000100';
  const since = (before: number) => slack.calls.slice(before).flatMap((c) => (c.kind === 'api' ? [c] : []));

  it('text with no checksum-valid key never leaves the listener', async () => {
    const deps = fakeDeps();
    await onChannelMessage(deps, args({ user: 'U1', text: 'archie_notakey and some words' }));
    await onChannelMessage(deps, args({ user: 'U1', text: leaked, channel_type: 'im' }));
    await onChannelMessage(deps, args({ user: 'U1', text: leaked, subtype: 'channel_join' }));
    expect(deps.asked).toEqual([]);
  });

  it('a live key tells the poster (ephemeral, in the thread) and each admin of this workspace (DM), never repeating it', async () => {
    const before = slack.calls.length;
    const deps = fakeDeps({ scanForLeaks: [finding] });
    await onChannelMessage(deps, args({ user: 'U1', text: `here: ${leaked}`, thread_ts: '1699999999.000100' }));
    expect(deps.asked).toEqual([{ method: 'scanForLeaks', args: [`here: ${leaked}`, 'slack:T1:U1', PERMALINK] }]);
    const calls = since(before);
    expect(calls.map((c) => c.method)).toEqual(['chat.getPermalink', 'chat.postEphemeral', 'conversations.open', 'chat.postMessage']);
    expect(calls[1]!.args).toMatchObject({ channel: 'C1', user: 'U1', thread_ts: '1699999999.000100' });
    expect(calls[2]!.args).toMatchObject({ users: 'UADMIN' });
    expect(shown(calls[3]!.args)).toContain('kw_leak_revoke');
    expect(JSON.stringify(calls)).not.toContain(leaked);
  });

  it('an edit is scanned as the message now reads, blocks included', async () => {
    const deps = fakeDeps({ scanForLeaks: [] });
    const edited = { user: 'U1', text: 'see below', blocks: [{ type: 'rich_text', elements: [{ type: 'text', text: leaked }] }] };
    await onChannelMessage(deps, args({ subtype: 'message_changed', message: edited }));
    expect(deps.asked).toEqual([{ method: 'scanForLeaks', args: [`see below\n${leaked}`, 'slack:T1:U1', PERMALINK] }]);
  });

  it('an alert that cannot be posted is logged, and the others still go', async () => {
    const deps = fakeDeps({ scanForLeaks: [finding] });
    await onChannelMessage(deps, args({ user: 'U1', text: leaked }, failingClient));
    expect(deps.logged.map((l) => [l.level, l.message])).toEqual([
      ['warn', 'leak alert to poster failed'],
      ['warn', 'leak alert to admin failed'],
    ]);
  });
});
